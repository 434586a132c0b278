// The ledger's SQL schema, as numbered migrations, and the SQL both stores share. The statements
// use only what SQLite and PostgreSQL both accept (BIGINT, DOUBLE PRECISION, TEXT,
// ON CONFLICT ... DO NOTHING), so one schema serves both. Internal to the ledger layer.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/sql_session.h"
#include "tokenfab/ledger/tenant.h"
#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger::internal {

struct Migration {
  int version;           // 1, 2, ...: applied in order, each once, each in its own transaction
  std::string_view sql;  // one or more statements
};

// Every migration, oldest first. Append only: a released migration never changes.
std::span<const Migration> Migrations();

// Creates the bookkeeping table; safe to run on every open.
inline constexpr std::string_view kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, applied_us BIGINT NOT NULL)";

// A usage report's SELECT (with "?N" placeholders, see sql_session.h) and its parameters in
// order. Result columns: one per group_by entry
// (days as a UTC day number), then currency, requests, prompt, cached, completion, cost,
// energy_wh, carbon_g, energy_cost (of the events that store one), energy_wh of the events that
// do not.
struct UsageSql {
  std::string sql;
  SqlParams params;
};
UsageSql BuildUsageQuery(const UsageQuery& query);

// The regions list as stored: comma-joined; empty for "every region".
std::string JoinRegions(const std::vector<std::string>& regions);
std::vector<std::string> SplitRegions(std::string_view stored);

// The column list of usage_events in the order every INSERT and SELECT uses.
inline constexpr std::string_view kUsageColumns =
    "request_id, tenant, key_id, model, region, site, upstream, prompt_tokens, cached_tokens, "
    "completion_tokens, ttft_us, tpot_us, status, http_status, energy_wh, carbon_g, "
    "cost_micros, currency, started_us, finished_us, recorded_us, service_tier, billed_tier, "
    "energy_cost";
inline constexpr int kUsageColumnCount = 24;

inline constexpr std::string_view kTierColumns =
    "name, ttft_slo_ms, tpot_slo_ms, priority, rpm, tpm, max_concurrency, token_budget, "
    "budget_period, max_tokens";
inline constexpr std::string_view kTenantColumns =
    "name, tier, allowed_regions, rpm, tpm, max_concurrency, token_budget, budget_period, "
    "created_us";
inline constexpr std::string_view kApiKeyColumns =
    "key_id, tenant, salt_hex, hash_hex, created_us, revoked_us";
inline constexpr std::string_view kPriceColumns =
    "model, region, effective_from_us, input_per_million, cached_input_per_million, "
    "output_per_million, currency, flex_percent, batch_percent, priority_percent";

}  // namespace tokenfab::ledger::internal
