#include "tokenfab/ledger/usage_event.h"

#include <cmath>

#include <fmt/format.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "tokenfab/ledger/service_tier.h"

namespace tokenfab::ledger {

Status ValidateUsageEvent(const UsageEvent& e) {
  if (e.request_id.empty() || e.request_id.size() > 200) {
    return absl::InvalidArgumentError("usage event: request id must be 1 to 200 characters");
  }
  if (e.tenant.empty()) return absl::InvalidArgumentError("usage event: tenant is empty");
  if (e.prompt_tokens < 0 || e.cached_tokens < 0 || e.completion_tokens < 0) {
    return absl::InvalidArgumentError("usage event: token counts must not be negative");
  }
  if (e.cached_tokens > e.prompt_tokens) {
    return absl::InvalidArgumentError(
        fmt::format("usage event {}: {} cached tokens exceed {} prompt tokens", e.request_id,
                    e.cached_tokens, e.prompt_tokens));
  }
  if (e.ttft_micros < 0 || e.tpot_micros < 0 || e.cost < 0) {
    return absl::InvalidArgumentError("usage event: times and cost must not be negative");
  }
  if (!std::isfinite(e.energy_wh) || !std::isfinite(e.carbon_g) || e.energy_wh < 0 ||
      e.carbon_g < 0) {
    return absl::InvalidArgumentError("usage event: energy and carbon must be finite and >= 0");
  }
  if (e.energy_cost && !std::isfinite(*e.energy_cost)) {
    return absl::InvalidArgumentError("usage event: energy cost must be finite");
  }
  if (e.currency.size() != 3) {
    return absl::InvalidArgumentError("usage event: currency must be a three-letter code");
  }
  TF_RETURN_IF_ERROR(ParseServiceTier(e.service_tier).status());
  TF_RETURN_IF_ERROR(ParseServiceTier(e.billed_tier).status());
  return absl::OkStatus();
}

std::string_view UsageDimensionName(UsageDimension dimension) {
  switch (dimension) {
    case UsageDimension::kTenant:
      return "tenant";
    case UsageDimension::kModel:
      return "model";
    case UsageDimension::kRegion:
      return "region";
    case UsageDimension::kDay:
      return "day";
    case UsageDimension::kSite:
      return "site";
    case UsageDimension::kTier:
      return "tier";
    case UsageDimension::kHour:
      return "hour";
  }
  return "tenant";
}

StatusOr<UsageDimension> ParseUsageDimension(std::string_view name) {
  for (UsageDimension d : {UsageDimension::kTenant, UsageDimension::kModel, UsageDimension::kRegion,
                           UsageDimension::kDay, UsageDimension::kSite, UsageDimension::kTier,
                           UsageDimension::kHour}) {
    if (UsageDimensionName(d) == name) return d;
  }
  return absl::InvalidArgumentError(fmt::format(
      "unknown usage dimension '{}': expected tenant, model, region, site, tier, day or hour",
      name));
}

std::string FormatUtcDay(int64_t day) {
  const absl::CivilDay civil = absl::CivilDay(1970, 1, 1) + day;
  return fmt::format("{:04}-{:02}-{:02}", civil.year(), civil.month(), civil.day());
}

std::string FormatUtcHour(int64_t hour) {
  const absl::CivilHour civil = absl::CivilHour(1970, 1, 1, 0) + hour;
  return fmt::format("{:04}-{:02}-{:02}T{:02}", civil.year(), civil.month(), civil.day(),
                     civil.hour());
}

StatusOr<int64_t> ParseUtcHour(std::string_view hour) {
  absl::CivilHour civil;
  if (!absl::ParseCivilTime(absl::string_view(hour.data(), hour.size()), &civil)) {
    return absl::InvalidArgumentError(
        fmt::format("invalid hour '{}': expected YYYY-MM-DDTHH", hour));
  }
  return absl::ToUnixMicros(absl::FromCivil(civil, absl::UTCTimeZone()));
}

StatusOr<int64_t> ParseUtcDate(std::string_view date) {
  absl::CivilDay day;
  if (!absl::ParseCivilTime(absl::string_view(date.data(), date.size()), &day)) {
    return absl::InvalidArgumentError(fmt::format("invalid date '{}': expected YYYY-MM-DD", date));
  }
  return absl::ToUnixMicros(absl::FromCivil(day, absl::UTCTimeZone()));
}

}  // namespace tokenfab::ledger
