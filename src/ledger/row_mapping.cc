#include "row_mapping.h"

#include <utility>

#include "schema.h"

namespace tokenfab::ledger::internal {
namespace {

SqlValue Nullable(const std::optional<int64_t>& value) {
  return value ? SqlValue(*value) : SqlValue();
}

// The five limit columns: rpm, tpm, max_concurrency, token_budget, budget_period.
void AppendLimits(const Limits& limits, SqlParams& params) {
  params.push_back(Nullable(limits.rpm));
  params.push_back(Nullable(limits.tpm));
  params.push_back(Nullable(limits.max_concurrency));
  params.push_back(Nullable(limits.token_budget));
  params.push_back(limits.budget_period
                       ? SqlValue(std::string(BudgetPeriodName(*limits.budget_period)))
                       : SqlValue());
}

Limits ReadLimits(const SqlRow& row, int first) {
  Limits limits;
  limits.rpm = row.OptInt(first);
  limits.tpm = row.OptInt(first + 1);
  limits.max_concurrency = row.OptInt(first + 2);
  limits.token_budget = row.OptInt(first + 3);
  if (!row.IsNull(first + 4)) {
    StatusOr<BudgetPeriod> period = ParseBudgetPeriod(row.Text(first + 4));
    if (period.ok()) limits.budget_period = *period;
  }
  return limits;
}

}  // namespace

SqlParams TierParams(const Tier& tier) {
  SqlParams params = {tier.name, tier.ttft_slo_ms, tier.tpot_slo_ms, int64_t{tier.priority}};
  AppendLimits(tier.limits, params);
  params.push_back(Nullable(tier.max_tokens));
  return params;
}

SqlParams TenantParams(const Tenant& tenant) {
  SqlParams params = {tenant.name, tenant.tier, JoinRegions(tenant.allowed_regions)};
  AppendLimits(tenant.limits, params);
  params.push_back(tenant.created_micros);
  return params;
}

SqlParams ApiKeyParams(const ApiKeyRecord& key) {
  return {key.key_id,   key.tenant,         key.salt_hex,
          key.hash_hex, key.created_micros, Nullable(key.revoked_micros)};
}

SqlParams PriceParams(const PriceEntry& entry) {
  return {entry.model,
          entry.region,
          entry.effective_from_micros,
          entry.input_per_million,
          entry.cached_input_per_million,
          entry.output_per_million,
          entry.currency,
          entry.flex_percent,
          entry.batch_percent,
          entry.priority_percent};
}

SqlParams UsageParams(const UsageEvent& e) {
  return {e.request_id,
          e.tenant,
          e.key_id,
          e.model,
          e.region,
          e.site,
          e.upstream,
          e.prompt_tokens,
          e.cached_tokens,
          e.completion_tokens,
          e.ttft_micros,
          e.tpot_micros,
          e.status,
          int64_t{e.http_status},
          e.energy_wh,
          e.carbon_g,
          e.cost,
          e.currency,
          e.started_micros,
          e.finished_micros,
          e.recorded_micros,
          e.service_tier,
          e.billed_tier,
          e.energy_cost ? SqlValue(*e.energy_cost) : SqlValue()};
}

Tier ReadTier(const SqlRow& row) {
  Tier tier;
  tier.name = row.Text(0);
  tier.ttft_slo_ms = row.Int(1);
  tier.tpot_slo_ms = row.Int(2);
  tier.priority = static_cast<int32_t>(row.Int(3));
  tier.limits = ReadLimits(row, 4);
  tier.max_tokens = row.OptInt(9);
  return tier;
}

Tenant ReadTenant(const SqlRow& row) {
  Tenant tenant;
  tenant.name = row.Text(0);
  tenant.tier = row.Text(1);
  tenant.allowed_regions = SplitRegions(row.Text(2));
  tenant.limits = ReadLimits(row, 3);
  tenant.created_micros = row.Int(8);
  return tenant;
}

ApiKeyRecord ReadApiKey(const SqlRow& row) {
  ApiKeyRecord key;
  key.key_id = row.Text(0);
  key.tenant = row.Text(1);
  key.salt_hex = row.Text(2);
  key.hash_hex = row.Text(3);
  key.created_micros = row.Int(4);
  key.revoked_micros = row.OptInt(5);
  return key;
}

PriceEntry ReadPrice(const SqlRow& row) {
  PriceEntry entry;
  entry.model = row.Text(0);
  entry.region = row.Text(1);
  entry.effective_from_micros = row.Int(2);
  entry.input_per_million = row.Int(3);
  entry.cached_input_per_million = row.Int(4);
  entry.output_per_million = row.Int(5);
  entry.currency = row.Text(6);
  entry.flex_percent = row.Int(7);
  entry.batch_percent = row.Int(8);
  entry.priority_percent = row.Int(9);
  return entry;
}

UsageEvent ReadUsage(const SqlRow& row) {
  UsageEvent e;
  e.request_id = row.Text(0);
  e.tenant = row.Text(1);
  e.key_id = row.Text(2);
  e.model = row.Text(3);
  e.region = row.Text(4);
  e.site = row.Text(5);
  e.upstream = row.Text(6);
  e.prompt_tokens = row.Int(7);
  e.cached_tokens = row.Int(8);
  e.completion_tokens = row.Int(9);
  e.ttft_micros = row.Int(10);
  e.tpot_micros = row.Int(11);
  e.status = row.Text(12);
  e.http_status = static_cast<int32_t>(row.Int(13));
  e.energy_wh = row.Double(14);
  e.carbon_g = row.Double(15);
  e.cost = row.Int(16);
  e.currency = row.Text(17);
  e.started_micros = row.Int(18);
  e.finished_micros = row.Int(19);
  e.recorded_micros = row.Int(20);
  e.service_tier = row.Text(21);
  e.billed_tier = row.Text(22);
  if (!row.IsNull(23)) e.energy_cost = row.Double(23);
  return e;
}

UsageRow ReadUsageRow(const SqlRow& row, const UsageQuery& query) {
  UsageRow out;
  const int n = static_cast<int>(query.group_by.size());
  for (int k = 0; k < n; ++k) {
    switch (query.group_by[k]) {
      case UsageDimension::kDay:
        out.keys.push_back(FormatUtcDay(row.Int(k)));
        break;
      case UsageDimension::kHour:
        out.keys.push_back(FormatUtcHour(row.Int(k)));
        break;
      default:
        out.keys.push_back(row.Text(k));
    }
  }
  out.currency = row.Text(n);
  out.requests = row.Int(n + 1);
  out.prompt_tokens = row.Int(n + 2);
  out.cached_tokens = row.Int(n + 3);
  out.completion_tokens = row.Int(n + 4);
  out.cost = row.Int(n + 5);
  out.energy_wh = row.Double(n + 6);
  out.carbon_g = row.Double(n + 7);
  out.energy_cost = row.Double(n + 8);
  out.energy_wh_unpriced = row.Double(n + 9);
  return out;
}

}  // namespace tokenfab::ledger::internal
