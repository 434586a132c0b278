// Tenancy records: a Tier is a service class (SLOs, priority and default limits); a Tenant is a
// customer on one tier, with its own limit overrides and the regions its data may be served from.
// Plain value types, copyable, not synchronised.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::ledger {

// The calendar period a token budget covers (UTC boundaries).
enum class BudgetPeriod { kDay, kMonth };

std::string_view BudgetPeriodName(BudgetPeriod period);  // "day", "month"
[[nodiscard]] StatusOr<BudgetPeriod> ParseBudgetPeriod(std::string_view name);

// [start, end) of the period containing `wall_micros`, in microseconds since the Unix epoch.
struct PeriodBounds {
  int64_t start_micros;
  int64_t end_micros;
};
PeriodBounds BudgetPeriodBounds(BudgetPeriod period, int64_t wall_micros);

// Admission limits. An absent value means "no limit" on a tier and "inherit the tier's" on a
// tenant.
struct Limits {
  // Empty initialisers so that a designated initializer may name only some of them.
  std::optional<int64_t> rpm = {};              // requests per minute
  std::optional<int64_t> tpm = {};              // tokens (prompt + completion) per minute
  std::optional<int64_t> max_concurrency = {};  // requests in flight at once
  std::optional<int64_t> token_budget = {};     // tokens per budget period
  std::optional<BudgetPeriod> budget_period = {};

  bool operator==(const Limits&) const = default;
};

struct Tier {
  std::string name;
  int64_t ttft_slo_ms = 0;  // time to first token objective, ms
  int64_t tpot_slo_ms = 0;  // time per output token objective, ms
  int32_t priority = 0;     // passed to the node; higher is served first
  Limits limits;            // defaults for the tier's tenants
  // The most output tokens a request may ask for per choice (max_tokens): above it the gateway
  // answers 400 naming the field; a request that gives none is capped at it. Absent: no cap.
  std::optional<int64_t> max_tokens;

  bool operator==(const Tier&) const = default;
};

struct Tenant {
  std::string name;
  std::string tier;
  // Regions the tenant's requests may be served in; empty means every region.
  std::vector<std::string> allowed_regions;
  Limits limits;               // overrides of the tier's defaults
  int64_t created_micros = 0;  // wall clock, µs since the epoch

  bool operator==(const Tenant&) const = default;
  // True when `region` is in allowed_regions, or allowed_regions is empty.
  bool AllowsRegion(std::string_view region) const;
};

// The limits in force for `tenant`: each tenant override where present, the tier's otherwise.
// A budget without a period counts per month.
Limits EffectiveLimits(const Tier& tier, const Tenant& tenant);

// Names of tenants, tiers, models and regions: 1..64 characters from [A-Za-z0-9._:/@-].
[[nodiscard]] Status ValidateName(std::string_view what, std::string_view name);

}  // namespace tokenfab::ledger
