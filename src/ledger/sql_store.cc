#include "sql_store.h"

#include <fmt/format.h>

#include "row_mapping.h"
#include "schema.h"

namespace tokenfab::ledger::internal {
namespace {

// Every row of `sql`, mapped by `read`.
template <typename T>
StatusOr<std::vector<T>> QueryAll(SqlSession& session, const std::string& sql,
                                  const SqlParams& params, T (*read)(const SqlRow&)) {
  std::vector<T> out;
  TF_RETURN_IF_ERROR(
      session.Query(sql, params, [&](const SqlRow& row) { out.push_back(read(row)); }));
  return out;
}

// The first row of `sql` mapped by `read`; `missing` when there is none.
template <typename T>
StatusOr<T> QueryOne(SqlSession& session, const std::string& sql, const SqlParams& params,
                     T (*read)(const SqlRow&), Status missing) {
  TF_ASSIGN_OR_RETURN(std::vector<T> rows, QueryAll(session, sql, params, read));
  if (rows.empty()) return missing;
  return std::move(rows.front());
}

int64_t ReadInt(const SqlRow& row) { return row.Int(0); }

// OK when `sql` selects at least one row, else NotFound("no {what} '{name}'").
Status RequireRow(SqlSession& session, const std::string& sql, std::string_view what,
                  std::string_view name) {
  TF_ASSIGN_OR_RETURN(std::vector<int64_t> rows,
                      QueryAll(session, sql, {std::string(name)}, &ReadInt));
  if (rows.empty()) return absl::NotFoundError(fmt::format("no {} '{}'", what, name));
  return absl::OkStatus();
}

Status RequireTier(SqlSession& session, std::string_view tier) {
  return RequireRow(session, "SELECT 1 FROM tiers WHERE name = ?1", "tier", tier);
}

Status ValidateTenant(const Tenant& tenant) {
  TF_RETURN_IF_ERROR(ValidateName("tenant", tenant.name));
  for (const std::string& region : tenant.allowed_regions) {
    TF_RETURN_IF_ERROR(ValidateName("region", region));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<int> SqlStore::SchemaVersion() {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_ASSIGN_OR_RETURN(int64_t version,
                      QueryOne(*session, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                               {}, &ReadInt, absl::InternalError("schema version: no row")));
  return static_cast<int>(version);
}

Status SqlStore::PutTier(const Tier& tier) {
  TF_RETURN_IF_ERROR(ValidateName("tier", tier.name));
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return session
      ->Execute(fmt::format("INSERT INTO tiers ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                            "ON CONFLICT (name) DO UPDATE SET ttft_slo_ms = ?2, tpot_slo_ms = ?3, "
                            "priority = ?4, rpm = ?5, tpm = ?6, max_concurrency = ?7, "
                            "token_budget = ?8, budget_period = ?9, max_tokens = ?10",
                            kTierColumns),
                TierParams(tier))
      .status();
}

StatusOr<Tier> SqlStore::GetTier(std::string_view name) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryOne(*session, fmt::format("SELECT {} FROM tiers WHERE name = ?1", kTierColumns),
                  {std::string(name)}, &ReadTier,
                  absl::NotFoundError(fmt::format("no tier '{}'", name)));
}

StatusOr<std::vector<Tier>> SqlStore::ListTiers() {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryAll(*session, fmt::format("SELECT {} FROM tiers ORDER BY name", kTierColumns), {},
                  &ReadTier);
}

Status SqlStore::CreateTenant(const Tenant& tenant) {
  TF_RETURN_IF_ERROR(ValidateTenant(tenant));
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_RETURN_IF_ERROR(RequireTier(*session, tenant.tier));
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      session->Execute(fmt::format("INSERT INTO tenants ({}) VALUES (?1, ?2, ?3, "
                                                   "?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (name) DO "
                                                   "NOTHING",
                                                   kTenantColumns),
                                       TenantParams(tenant)));
  if (changed == 0) {
    return absl::AlreadyExistsError(fmt::format("tenant '{}' already exists", tenant.name));
  }
  return absl::OkStatus();
}

Status SqlStore::UpdateTenant(const Tenant& tenant) {
  TF_RETURN_IF_ERROR(ValidateTenant(tenant));
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_RETURN_IF_ERROR(RequireTier(*session, tenant.tier));
  SqlParams params = TenantParams(tenant);
  params.pop_back();  // created_us never changes
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      session->Execute("UPDATE tenants SET tier = ?2, allowed_regions = ?3, "
                                       "rpm = ?4, tpm = ?5, max_concurrency = ?6, "
                                       "token_budget = ?7, budget_period = ?8 WHERE name = ?1",
                                       params));
  if (changed == 0) return absl::NotFoundError(fmt::format("no tenant '{}'", tenant.name));
  return absl::OkStatus();
}

StatusOr<Tenant> SqlStore::GetTenant(std::string_view name) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryOne(*session, fmt::format("SELECT {} FROM tenants WHERE name = ?1", kTenantColumns),
                  {std::string(name)}, &ReadTenant,
                  absl::NotFoundError(fmt::format("no tenant '{}'", name)));
}

StatusOr<std::vector<Tenant>> SqlStore::ListTenants() {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryAll(*session, fmt::format("SELECT {} FROM tenants ORDER BY name", kTenantColumns), {},
                  &ReadTenant);
}

Status SqlStore::InsertApiKey(const ApiKeyRecord& key) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_RETURN_IF_ERROR(
      RequireRow(*session, "SELECT 1 FROM tenants WHERE name = ?1", "tenant", key.tenant));
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      session->Execute(fmt::format("INSERT INTO api_keys ({}) VALUES (?1, ?2, "
                                                   "?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                                                   kApiKeyColumns),
                                       ApiKeyParams(key)));
  if (changed == 0) {
    return absl::AlreadyExistsError(fmt::format("API key id '{}' is taken", key.key_id));
  }
  return absl::OkStatus();
}

StatusOr<ApiKeyRecord> SqlStore::GetApiKey(std::string_view key_id) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryOne(*session,
                  fmt::format("SELECT {} FROM api_keys WHERE key_id = ?1", kApiKeyColumns),
                  {std::string(key_id)}, &ReadApiKey, absl::NotFoundError("no such API key"));
}

StatusOr<std::vector<ApiKeyRecord>> SqlStore::ListApiKeys(std::string_view tenant) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryAll(*session,
                  fmt::format("SELECT {} FROM api_keys WHERE ?1 = '' OR tenant = ?1 ORDER BY "
                              "created_us, key_id",
                              kApiKeyColumns),
                  {std::string(tenant)}, &ReadApiKey);
}

Status SqlStore::RevokeApiKey(std::string_view key_id, int64_t wall_micros) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      session->Execute("UPDATE api_keys SET revoked_us = COALESCE(revoked_us, ?2) "
                                       "WHERE key_id = ?1",
                                       {std::string(key_id), wall_micros}));
  if (changed == 0) return absl::NotFoundError(fmt::format("no API key '{}'", key_id));
  return absl::OkStatus();
}

Status SqlStore::AddPrice(const PriceEntry& entry) {
  TF_RETURN_IF_ERROR(ValidatePriceEntry(entry));
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  TF_ASSIGN_OR_RETURN(int64_t changed,
                      session->Execute(fmt::format("INSERT INTO price_books ({}) VALUES (?1, ?2, "
                                                   "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT "
                                                   "DO NOTHING",
                                                   kPriceColumns),
                                       PriceParams(entry)));
  if (changed == 0) {
    return absl::AlreadyExistsError(
        fmt::format("a price for model '{}' in region '{}' from that time already exists",
                    entry.model, entry.region));
  }
  return absl::OkStatus();
}

StatusOr<std::vector<PriceEntry>> SqlStore::ListPrices() {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryAll(*session,
                  fmt::format("SELECT {} FROM price_books ORDER BY model, region, "
                              "effective_from_us",
                              kPriceColumns),
                  {}, &ReadPrice);
}

StatusOr<UsageEvent> SqlStore::GetUsage(std::string_view request_id) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryOne(*session,
                  fmt::format("SELECT {} FROM usage_events WHERE request_id = ?1", kUsageColumns),
                  {std::string(request_id)}, &ReadUsage,
                  absl::NotFoundError(fmt::format("no usage event '{}'", request_id)));
}

StatusOr<std::vector<UsageRow>> SqlStore::QueryUsage(const UsageQuery& query) {
  const UsageSql q = BuildUsageQuery(query);
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  std::vector<UsageRow> rows;
  TF_RETURN_IF_ERROR(session->Query(
      q.sql, q.params, [&](const SqlRow& row) { rows.push_back(ReadUsageRow(row, query)); }));
  return rows;
}

Status SqlStore::ScanUsage(int64_t from_micros, int64_t to_micros,
                           const std::function<void(const UsageEvent&)>& visit) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return session->Query(fmt::format("SELECT {} FROM usage_events WHERE finished_us >= ?1 AND "
                                    "finished_us < ?2 ORDER BY started_us, request_id",
                                    kUsageColumns),
                        {from_micros, to_micros},
                        [&](const SqlRow& row) { visit(ReadUsage(row)); });
}

StatusOr<int64_t> SqlStore::TenantTokens(std::string_view tenant, int64_t from_micros,
                                         int64_t to_micros) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<SqlSession> session, OpenSession());
  return QueryOne(*session,
                  "SELECT CAST(COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS BIGINT) "
                  "FROM usage_events WHERE tenant = ?1 AND finished_us >= ?2 AND finished_us < ?3",
                  {std::string(tenant), from_micros, to_micros}, &ReadInt,
                  absl::InternalError("tenant tokens: no row"));
}

}  // namespace tokenfab::ledger::internal
