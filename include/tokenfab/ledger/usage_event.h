// UsageEvent: the ledger's record of one request, written once per request id (a second write
// with the same id is ignored), and the aggregate queries over them. Plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/money.h"

namespace tokenfab::ledger {

struct UsageEvent {
  std::string request_id;  // unique per request; the idempotency key
  std::string tenant;
  std::string key_id;      // the API key's public id
  std::string model;
  std::string region;
  std::string site;
  std::string upstream;    // the node or gateway that served it
  int64_t prompt_tokens = 0;      // including cached_tokens
  int64_t cached_tokens = 0;      // prompt tokens served from the prefix cache
  int64_t completion_tokens = 0;
  int64_t ttft_micros = 0;        // time to first token, µs
  int64_t tpot_micros = 0;        // mean time per output token after the first, µs
  std::string status = "ok";      // "ok", "error", "cancelled", ...
  int32_t http_status = 200;
  double energy_wh = 0;           // watt-hours, from the site's hardware and PUE
  double carbon_g = 0;            // grams CO2e, from the site's carbon intensity
  // What energy_wh cost, in the fleet's energy currency: the facility energy times the site's
  // price of a kWh at the request's local hour. Absent on events recorded before it was stored.
  std::optional<double> energy_cost;
  Micros cost = 0;                // price, micro-units of `currency`
  std::string currency = "USD";
  int64_t started_micros = 0;            // wall clock when the request arrived, µs since the epoch
  int64_t finished_micros = 0;           // wall clock when its last token was produced
  int64_t recorded_micros = 0;           // set by the ledger when the event is written
  std::string service_tier = "default";  // the tier it was served at (ServiceTierName)
  std::string billed_tier = "default";   // the tier it was priced at ("batch" for batch lines)

  int64_t total_tokens() const { return prompt_tokens + completion_tokens; }
  bool operator==(const UsageEvent&) const = default;
};

// InvalidArgument for an empty or over-long id, negative counts, cached > prompt, and the like.
[[nodiscard]] Status ValidateUsageEvent(const UsageEvent& event);

// Dimensions a usage report groups by. A tier is the tenant's tier now (the tenants table), not
// when the request was served; a tenant since deleted has tier "".
enum class UsageDimension { kTenant, kModel, kRegion, kDay, kSite, kTier, kHour };
std::string_view UsageDimensionName(UsageDimension dimension);  // "tenant", "model", ...
[[nodiscard]] StatusOr<UsageDimension> ParseUsageDimension(std::string_view name);

struct UsageQuery {
  std::vector<UsageDimension> group_by;  // may be empty: one total row per currency
  std::optional<int64_t> from_micros;    // finished_micros >= from (inclusive)
  std::optional<int64_t> to_micros;      // finished_micros < to (exclusive)
  std::optional<std::string> tenant;     // only this tenant
};

struct UsageRow {
  // One value per UsageQuery::group_by entry, in that order; days as "YYYY-MM-DD" and hours as
  // "YYYY-MM-DDTHH" (UTC).
  std::vector<std::string> keys;
  std::string currency;
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t completion_tokens = 0;
  Micros cost = 0;
  double energy_wh = 0;
  double carbon_g = 0;
  double energy_cost = 0;         // sum of the events' stored energy_cost
  double energy_wh_unpriced = 0;  // the part of energy_wh of events without a stored energy_cost

  bool operator==(const UsageRow&) const = default;
};

// "YYYY-MM-DD" of the UTC day number `day` (days since 1970-01-01).
std::string FormatUtcDay(int64_t day);
// "YYYY-MM-DDTHH" of the UTC hour number `hour` (hours since 1970-01-01T00), and back to the
// wall-clock µs at that hour's start.
std::string FormatUtcHour(int64_t hour);
[[nodiscard]] StatusOr<int64_t> ParseUtcHour(std::string_view hour);
// The wall-clock µs at the start of "YYYY-MM-DD" (UTC), for --from/--to flags.
[[nodiscard]] StatusOr<int64_t> ParseUtcDate(std::string_view date);

inline constexpr int64_t kMicrosPerDay = 86'400'000'000;
inline constexpr int64_t kMicrosPerHour = 3'600'000'000;

}  // namespace tokenfab::ledger
