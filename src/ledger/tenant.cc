#include "tokenfab/ledger/tenant.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace tokenfab::ledger {

std::string_view BudgetPeriodName(BudgetPeriod period) {
  switch (period) {
    case BudgetPeriod::kDay:
      return "day";
    case BudgetPeriod::kMonth:
      return "month";
  }
  return "month";
}

StatusOr<BudgetPeriod> ParseBudgetPeriod(std::string_view name) {
  if (name == "day") return BudgetPeriod::kDay;
  if (name == "month") return BudgetPeriod::kMonth;
  return absl::InvalidArgumentError(
      fmt::format("unknown budget period '{}': expected day or month", name));
}

PeriodBounds BudgetPeriodBounds(BudgetPeriod period, int64_t wall_micros) {
  const absl::TimeZone utc = absl::UTCTimeZone();
  const absl::Time now = absl::FromUnixMicros(wall_micros);
  absl::Time start, end;
  if (period == BudgetPeriod::kDay) {
    const absl::CivilDay day = absl::ToCivilDay(now, utc);
    start = absl::FromCivil(day, utc);
    end = absl::FromCivil(day + 1, utc);
  } else {
    const absl::CivilMonth month = absl::ToCivilMonth(now, utc);
    start = absl::FromCivil(month, utc);
    end = absl::FromCivil(month + 1, utc);
  }
  return {absl::ToUnixMicros(start), absl::ToUnixMicros(end)};
}

bool Tenant::AllowsRegion(std::string_view region) const {
  return allowed_regions.empty() ||
         std::find(allowed_regions.begin(), allowed_regions.end(), region) !=
             allowed_regions.end();
}

Limits EffectiveLimits(const Tier& tier, const Tenant& tenant) {
  Limits out = tier.limits;
  const Limits& own = tenant.limits;
  if (own.rpm) out.rpm = own.rpm;
  if (own.tpm) out.tpm = own.tpm;
  if (own.max_concurrency) out.max_concurrency = own.max_concurrency;
  if (own.token_budget) out.token_budget = own.token_budget;
  if (own.budget_period) out.budget_period = own.budget_period;
  if (out.token_budget && !out.budget_period) out.budget_period = BudgetPeriod::kMonth;
  return out;
}

Status ValidateName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        fmt::format("{} name must be 1 to 64 characters, got {}", what, name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '/' || c == '@' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(fmt::format(
          "{} name '{}' has a character outside [A-Za-z0-9._:/@-]", what, name));
    }
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::ledger
