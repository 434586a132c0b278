// SqliteStore: the embedded ledger, one SQLite file.
//
// Durability: the journal is WAL with synchronous=FULL, so every COMMIT fsyncs the WAL before it
// returns. WAL with synchronous=NORMAL would already survive kill -9 of the process (the WAL is
// in the OS page cache), but it may lose the last commits on a power cut or kernel crash; an
// acknowledged response must never be lost, so we pay the fsync, once per group-committed batch.
//
// Thread-safety: one connection, guarded by mu_. Other processes (the CLI while a gateway runs)
// may use the same file; busy_timeout makes them wait for each other's write transactions.
#include <sqlite3.h>

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "schema.h"
#include "tokenfab/base/check.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {
namespace {

using internal::Migration;

// A prepared statement owned by the store's cache; Reset() after each use.
class Stmt {
 public:
  Stmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

  void Bind(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void Bind(int index, double value) { sqlite3_bind_double(stmt_, index, value); }
  void Bind(int index, std::string_view value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  }
  void Bind(int index, const std::string& value) { Bind(index, std::string_view(value)); }
  void Bind(int index, const std::optional<int64_t>& value) {
    if (value) {
      Bind(index, *value);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }
  void Bind(int index, const std::optional<std::string>& value) {
    if (value) {
      Bind(index, std::string_view(*value));
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }

  // SQLITE_ROW: a row is ready; SQLITE_DONE: finished; anything else is an error.
  int Step() { return sqlite3_step(stmt_); }

  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const { return sqlite3_column_double(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::optional<int64_t> OptInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col));
  }
  std::string Text(int col) const {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
                : std::string();
  }

  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Status Error(std::string_view what) const {
    return absl::InternalError(fmt::format("sqlite: {}: {}", what, sqlite3_errmsg(db_)));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Resets a statement when it goes out of scope.
class StmtUse {
 public:
  explicit StmtUse(Stmt& stmt) : stmt_(stmt) {}
  ~StmtUse() { stmt_.Reset(); }
  Stmt* operator->() { return &stmt_; }
  Stmt& operator*() { return stmt_; }

 private:
  Stmt& stmt_;
};

Limits ReadLimits(const Stmt& s, int first) {
  Limits limits;
  limits.rpm = s.OptInt(first);
  limits.tpm = s.OptInt(first + 1);
  limits.max_concurrency = s.OptInt(first + 2);
  limits.token_budget = s.OptInt(first + 3);
  if (!s.IsNull(first + 4)) {
    StatusOr<BudgetPeriod> period = ParseBudgetPeriod(s.Text(first + 4));
    if (period.ok()) limits.budget_period = *period;
  }
  return limits;
}

void BindLimits(Stmt& s, int first, const Limits& limits) {
  s.Bind(first, limits.rpm);
  s.Bind(first + 1, limits.tpm);
  s.Bind(first + 2, limits.max_concurrency);
  s.Bind(first + 3, limits.token_budget);
  s.Bind(first + 4, limits.budget_period
                        ? std::optional<std::string>(BudgetPeriodName(*limits.budget_period))
                        : std::nullopt);
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Status Init() {
    std::lock_guard lock(mu_);
    TF_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    TF_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
    TF_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
    sqlite3_busy_timeout(db_, 10'000);
    TF_RETURN_IF_ERROR(Exec(internal::kCreateMigrationsTable));
    for (const Migration& migration : internal::Migrations()) {
      TF_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
      Status status = ApplyMigration(migration);
      if (!status.ok()) {
        (void)Exec("ROLLBACK");
        return status;
      }
      TF_RETURN_IF_ERROR(Exec("COMMIT"));
    }
    return absl::OkStatus();
  }

  std::string_view kind() const override { return "sqlite"; }

  StatusOr<int> SchemaVersion() override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    StmtUse use(*s);
    if (use->Step() != SQLITE_ROW) return use->Error("schema version");
    return static_cast<int>(use->Int(0));
  }

  Status PutTier(const Tier& tier) override {
    TF_RETURN_IF_ERROR(ValidateName("tier", tier.name));
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format(
                                      "INSERT INTO tiers ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                                      "?8, ?9) ON CONFLICT (name) DO UPDATE SET ttft_slo_ms = ?2, "
                                      "tpot_slo_ms = ?3, priority = ?4, rpm = ?5, tpm = ?6, "
                                      "max_concurrency = ?7, token_budget = ?8, budget_period = ?9",
                                      internal::kTierColumns)));
    StmtUse use(*s);
    use->Bind(1, tier.name);
    use->Bind(2, tier.ttft_slo_ms);
    use->Bind(3, tier.tpot_slo_ms);
    use->Bind(4, int64_t{tier.priority});
    BindLimits(*use, 5, tier.limits);
    if (use->Step() != SQLITE_DONE) return use->Error("put tier");
    return absl::OkStatus();
  }

  StatusOr<Tier> GetTier(std::string_view name) override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("SELECT {} FROM tiers WHERE name = ?1",
                                                      internal::kTierColumns)));
    StmtUse use(*s);
    use->Bind(1, name);
    const int rc = use->Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError(fmt::format("no tier '{}'", name));
    if (rc != SQLITE_ROW) return use->Error("get tier");
    return ReadTier(*use);
  }

  StatusOr<std::vector<Tier>> ListTiers() override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("SELECT {} FROM tiers ORDER BY name",
                                                      internal::kTierColumns)));
    StmtUse use(*s);
    std::vector<Tier> tiers;
    int rc;
    while ((rc = use->Step()) == SQLITE_ROW) tiers.push_back(ReadTier(*use));
    if (rc != SQLITE_DONE) return use->Error("list tiers");
    return tiers;
  }

  Status CreateTenant(const Tenant& tenant) override {
    TF_RETURN_IF_ERROR(ValidateTenant(tenant));
    std::lock_guard lock(mu_);
    TF_RETURN_IF_ERROR(RequireTier(tenant.tier));
    TF_ASSIGN_OR_RETURN(Stmt * s,
                        Prepare(fmt::format("INSERT INTO tenants ({}) VALUES (?1, ?2, ?3, ?4, ?5, "
                                            "?6, ?7, ?8, ?9) ON CONFLICT (name) DO NOTHING",
                                            internal::kTenantColumns)));
    StmtUse use(*s);
    BindTenant(*use, tenant);
    if (use->Step() != SQLITE_DONE) return use->Error("create tenant");
    if (sqlite3_changes(db_) == 0) {
      return absl::AlreadyExistsError(fmt::format("tenant '{}' already exists", tenant.name));
    }
    return absl::OkStatus();
  }

  Status UpdateTenant(const Tenant& tenant) override {
    TF_RETURN_IF_ERROR(ValidateTenant(tenant));
    std::lock_guard lock(mu_);
    TF_RETURN_IF_ERROR(RequireTier(tenant.tier));
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("UPDATE tenants SET tier = ?2, allowed_regions = ?3, "
                                          "rpm = ?4, tpm = ?5, max_concurrency = ?6, "
                                          "token_budget = ?7, budget_period = ?8 WHERE name = ?1"));
    StmtUse use(*s);
    BindTenant(*use, tenant);
    if (use->Step() != SQLITE_DONE) return use->Error("update tenant");
    if (sqlite3_changes(db_) == 0) {
      return absl::NotFoundError(fmt::format("no tenant '{}'", tenant.name));
    }
    return absl::OkStatus();
  }

  StatusOr<Tenant> GetTenant(std::string_view name) override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("SELECT {} FROM tenants WHERE name = ?1",
                                                      internal::kTenantColumns)));
    StmtUse use(*s);
    use->Bind(1, name);
    const int rc = use->Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError(fmt::format("no tenant '{}'", name));
    if (rc != SQLITE_ROW) return use->Error("get tenant");
    return ReadTenant(*use);
  }

  StatusOr<std::vector<Tenant>> ListTenants() override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("SELECT {} FROM tenants ORDER BY name",
                                                      internal::kTenantColumns)));
    StmtUse use(*s);
    std::vector<Tenant> tenants;
    int rc;
    while ((rc = use->Step()) == SQLITE_ROW) tenants.push_back(ReadTenant(*use));
    if (rc != SQLITE_DONE) return use->Error("list tenants");
    return tenants;
  }

  Status InsertApiKey(const ApiKeyRecord& key) override {
    std::lock_guard lock(mu_);
    {
      TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("SELECT 1 FROM tenants WHERE name = ?1"));
      StmtUse use(*s);
      use->Bind(1, key.tenant);
      const int rc = use->Step();
      if (rc == SQLITE_DONE) return absl::NotFoundError(fmt::format("no tenant '{}'", key.tenant));
      if (rc != SQLITE_ROW) return use->Error("find tenant");
    }
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("INSERT INTO api_keys ({}) VALUES (?1, ?2, "
                                                      "?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                                                      internal::kApiKeyColumns)));
    StmtUse use(*s);
    use->Bind(1, key.key_id);
    use->Bind(2, key.tenant);
    use->Bind(3, key.salt_hex);
    use->Bind(4, key.hash_hex);
    use->Bind(5, key.created_micros);
    use->Bind(6, key.revoked_micros);
    if (use->Step() != SQLITE_DONE) return use->Error("insert api key");
    if (sqlite3_changes(db_) == 0) {
      return absl::AlreadyExistsError(fmt::format("API key id '{}' is taken", key.key_id));
    }
    return absl::OkStatus();
  }

  StatusOr<ApiKeyRecord> GetApiKey(std::string_view key_id) override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("SELECT {} FROM api_keys WHERE key_id = ?1",
                                                      internal::kApiKeyColumns)));
    StmtUse use(*s);
    use->Bind(1, key_id);
    const int rc = use->Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError("no such API key");
    if (rc != SQLITE_ROW) return use->Error("get api key");
    return ReadApiKey(*use);
  }

  StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(std::string_view tenant) override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(
        Stmt * s, Prepare(fmt::format("SELECT {} FROM api_keys WHERE ?1 = '' OR tenant = ?1 "
                                      "ORDER BY created_us, key_id",
                                      internal::kApiKeyColumns)));
    StmtUse use(*s);
    use->Bind(1, tenant);
    std::vector<ApiKeyRecord> keys;
    int rc;
    while ((rc = use->Step()) == SQLITE_ROW) keys.push_back(ReadApiKey(*use));
    if (rc != SQLITE_DONE) return use->Error("list api keys");
    return keys;
  }

  Status RevokeApiKey(std::string_view key_id, int64_t wall_micros) override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("UPDATE api_keys SET revoked_us = COALESCE(revoked_us, "
                                          "?2) WHERE key_id = ?1"));
    StmtUse use(*s);
    use->Bind(1, key_id);
    use->Bind(2, wall_micros);
    if (use->Step() != SQLITE_DONE) return use->Error("revoke api key");
    if (sqlite3_changes(db_) == 0) {
      return absl::NotFoundError(fmt::format("no API key '{}'", key_id));
    }
    return absl::OkStatus();
  }

  Status AddPrice(const PriceEntry& entry) override {
    TF_RETURN_IF_ERROR(ValidatePriceEntry(entry));
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("INSERT INTO price_books ({}) VALUES (?1, "
                                                      "?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO "
                                                      "NOTHING",
                                                      internal::kPriceColumns)));
    StmtUse use(*s);
    use->Bind(1, entry.model);
    use->Bind(2, entry.region);
    use->Bind(3, entry.effective_from_micros);
    use->Bind(4, entry.input_per_million);
    use->Bind(5, entry.cached_input_per_million);
    use->Bind(6, entry.output_per_million);
    use->Bind(7, entry.currency);
    if (use->Step() != SQLITE_DONE) return use->Error("add price");
    if (sqlite3_changes(db_) == 0) {
      return absl::AlreadyExistsError(fmt::format(
          "a price for model '{}' in region '{}' from that time already exists", entry.model,
          entry.region));
    }
    return absl::OkStatus();
  }

  StatusOr<std::vector<PriceEntry>> ListPrices() override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("SELECT {} FROM price_books ORDER BY model, "
                                                      "region, effective_from_us",
                                                      internal::kPriceColumns)));
    StmtUse use(*s);
    std::vector<PriceEntry> prices;
    int rc;
    while ((rc = use->Step()) == SQLITE_ROW) {
      PriceEntry& p = prices.emplace_back();
      p.model = use->Text(0);
      p.region = use->Text(1);
      p.effective_from_micros = use->Int(2);
      p.input_per_million = use->Int(3);
      p.cached_input_per_million = use->Int(4);
      p.output_per_million = use->Int(5);
      p.currency = use->Text(6);
    }
    if (rc != SQLITE_DONE) return use->Error("list prices");
    return prices;
  }

  StatusOr<std::vector<InsertOutcome>> InsertUsage(std::span<const UsageEvent> events) override {
    std::lock_guard lock(mu_);
    TF_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    StatusOr<std::vector<InsertOutcome>> outcomes = InsertUsageLocked(events);
    if (!outcomes.ok()) {
      (void)Exec("ROLLBACK");
      return outcomes.status();
    }
    if (Status status = Exec("COMMIT"); !status.ok()) {
      (void)Exec("ROLLBACK");
      return status;
    }
    return outcomes;
  }

  StatusOr<UsageEvent> GetUsage(std::string_view request_id) override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format("SELECT {} FROM usage_events WHERE "
                                                      "request_id = ?1",
                                                      internal::kUsageColumns)));
    StmtUse use(*s);
    use->Bind(1, request_id);
    const int rc = use->Step();
    if (rc == SQLITE_DONE) {
      return absl::NotFoundError(fmt::format("no usage event '{}'", request_id));
    }
    if (rc != SQLITE_ROW) return use->Error("get usage");
    UsageEvent e;
    e.request_id = use->Text(0);
    e.tenant = use->Text(1);
    e.key_id = use->Text(2);
    e.model = use->Text(3);
    e.region = use->Text(4);
    e.site = use->Text(5);
    e.upstream = use->Text(6);
    e.prompt_tokens = use->Int(7);
    e.cached_tokens = use->Int(8);
    e.completion_tokens = use->Int(9);
    e.ttft_micros = use->Int(10);
    e.tpot_micros = use->Int(11);
    e.status = use->Text(12);
    e.http_status = static_cast<int32_t>(use->Int(13));
    e.energy_wh = use->Double(14);
    e.carbon_g = use->Double(15);
    e.cost = use->Int(16);
    e.currency = use->Text(17);
    e.started_micros = use->Int(18);
    e.finished_micros = use->Int(19);
    e.recorded_micros = use->Int(20);
    return e;
  }

  StatusOr<std::vector<UsageRow>> QueryUsage(const UsageQuery& query) override {
    const internal::UsageSql q = internal::BuildUsageQuery(query, internal::Placeholders::kQuestion);
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(q.sql));
    StmtUse use(*s);
    for (size_t i = 0; i < q.params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (const int64_t* v = std::get_if<int64_t>(&q.params[i])) {
        use->Bind(index, *v);
      } else {
        use->Bind(index, std::string_view(std::get<std::string>(q.params[i])));
      }
    }
    std::vector<UsageRow> rows;
    const int n = static_cast<int>(query.group_by.size());
    int rc;
    while ((rc = use->Step()) == SQLITE_ROW) {
      UsageRow& row = rows.emplace_back();
      for (int i = 0; i < n; ++i) {
        row.keys.push_back(query.group_by[i] == UsageDimension::kDay ? FormatUtcDay(use->Int(i))
                                                                     : use->Text(i));
      }
      row.currency = use->Text(n);
      row.requests = use->Int(n + 1);
      row.prompt_tokens = use->Int(n + 2);
      row.cached_tokens = use->Int(n + 3);
      row.completion_tokens = use->Int(n + 4);
      row.cost = use->Int(n + 5);
      row.energy_wh = use->Double(n + 6);
      row.carbon_g = use->Double(n + 7);
    }
    if (rc != SQLITE_DONE) return use->Error("query usage");
    return rows;
  }

  StatusOr<int64_t> TenantTokens(std::string_view tenant, int64_t from_micros,
                                 int64_t to_micros) override {
    std::lock_guard lock(mu_);
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("SELECT COALESCE(SUM(prompt_tokens + completion_tokens), "
                                          "0) FROM usage_events WHERE tenant = ?1 AND "
                                          "finished_us >= ?2 AND finished_us < ?3"));
    StmtUse use(*s);
    use->Bind(1, tenant);
    use->Bind(2, from_micros);
    use->Bind(3, to_micros);
    if (use->Step() != SQLITE_ROW) return use->Error("tenant tokens");
    return use->Int(0);
  }

 private:
  Status Exec(std::string_view sql) {
    char* error = nullptr;
    const std::string text(sql);
    if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      Status status = absl::InternalError(
          fmt::format("sqlite: {}: {}", text.substr(0, 60), error ? error : "unknown error"));
      sqlite3_free(error);
      return status;
    }
    return absl::OkStatus();
  }

  StatusOr<Stmt*> Prepare(const std::string& sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
        return absl::InternalError(fmt::format("sqlite: prepare: {}", sqlite3_errmsg(db_)));
      }
      it = cache_.emplace(sql, stmt).first;
      wrappers_.emplace(sql, std::make_unique<Stmt>(db_, stmt));
    }
    return wrappers_.at(sql).get();
  }

  Status ApplyMigration(const Migration& migration) {
    {
      TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("SELECT 1 FROM schema_migrations WHERE version = ?1"));
      StmtUse use(*s);
      use->Bind(1, int64_t{migration.version});
      const int rc = use->Step();
      if (rc == SQLITE_ROW) return absl::OkStatus();
      if (rc != SQLITE_DONE) return use->Error("read schema version");
    }
    TF_RETURN_IF_ERROR(Exec(migration.sql));
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("INSERT INTO schema_migrations (version, applied_us) "
                                          "VALUES (?1, CAST(strftime('%s', 'now') AS INTEGER) * "
                                          "1000000)"));
    StmtUse use(*s);
    use->Bind(1, int64_t{migration.version});
    if (use->Step() != SQLITE_DONE) return use->Error("record migration");
    return absl::OkStatus();
  }

  Status ValidateTenant(const Tenant& tenant) {
    TF_RETURN_IF_ERROR(ValidateName("tenant", tenant.name));
    for (const std::string& region : tenant.allowed_regions) {
      TF_RETURN_IF_ERROR(ValidateName("region", region));
    }
    return absl::OkStatus();
  }

  Status RequireTier(std::string_view tier) {
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare("SELECT 1 FROM tiers WHERE name = ?1"));
    StmtUse use(*s);
    use->Bind(1, tier);
    const int rc = use->Step();
    if (rc == SQLITE_DONE) return absl::NotFoundError(fmt::format("no tier '{}'", tier));
    if (rc != SQLITE_ROW) return use->Error("find tier");
    return absl::OkStatus();
  }

  static void BindTenant(Stmt& s, const Tenant& tenant) {
    s.Bind(1, tenant.name);
    s.Bind(2, tenant.tier);
    s.Bind(3, internal::JoinRegions(tenant.allowed_regions));
    BindLimits(s, 4, tenant.limits);
    s.Bind(9, tenant.created_micros);
  }

  static Tier ReadTier(const Stmt& s) {
    Tier tier;
    tier.name = s.Text(0);
    tier.ttft_slo_ms = s.Int(1);
    tier.tpot_slo_ms = s.Int(2);
    tier.priority = static_cast<int32_t>(s.Int(3));
    tier.limits = ReadLimits(s, 4);
    return tier;
  }

  static Tenant ReadTenant(const Stmt& s) {
    Tenant tenant;
    tenant.name = s.Text(0);
    tenant.tier = s.Text(1);
    tenant.allowed_regions = internal::SplitRegions(s.Text(2));
    tenant.limits = ReadLimits(s, 3);
    tenant.created_micros = s.Int(8);
    return tenant;
  }

  static ApiKeyRecord ReadApiKey(const Stmt& s) {
    ApiKeyRecord key;
    key.key_id = s.Text(0);
    key.tenant = s.Text(1);
    key.salt_hex = s.Text(2);
    key.hash_hex = s.Text(3);
    key.created_micros = s.Int(4);
    key.revoked_micros = s.OptInt(5);
    return key;
  }

  StatusOr<std::vector<InsertOutcome>> InsertUsageLocked(std::span<const UsageEvent> events) {
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(fmt::format(
                                      "INSERT INTO usage_events ({}) VALUES (?1, ?2, ?3, ?4, ?5, "
                                      "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                                      "?18, ?19, ?20, ?21) ON CONFLICT (request_id) DO NOTHING",
                                      internal::kUsageColumns)));
    std::vector<InsertOutcome> outcomes;
    outcomes.reserve(events.size());
    for (const UsageEvent& e : events) {
      StmtUse use(*s);
      use->Bind(1, e.request_id);
      use->Bind(2, e.tenant);
      use->Bind(3, e.key_id);
      use->Bind(4, e.model);
      use->Bind(5, e.region);
      use->Bind(6, e.site);
      use->Bind(7, e.upstream);
      use->Bind(8, e.prompt_tokens);
      use->Bind(9, e.cached_tokens);
      use->Bind(10, e.completion_tokens);
      use->Bind(11, e.ttft_micros);
      use->Bind(12, e.tpot_micros);
      use->Bind(13, e.status);
      use->Bind(14, int64_t{e.http_status});
      use->Bind(15, e.energy_wh);
      use->Bind(16, e.carbon_g);
      use->Bind(17, e.cost);
      use->Bind(18, e.currency);
      use->Bind(19, e.started_micros);
      use->Bind(20, e.finished_micros);
      use->Bind(21, e.recorded_micros);
      if (use->Step() != SQLITE_DONE) return use->Error("insert usage");
      outcomes.push_back(sqlite3_changes(db_) > 0 ? InsertOutcome::kInserted
                                                  : InsertOutcome::kDuplicate);
    }
    return outcomes;
  }

  std::mutex mu_;
  sqlite3* const db_;
  std::map<std::string, sqlite3_stmt*> cache_;              // owned; guarded by mu_
  std::map<std::string, std::unique_ptr<Stmt>> wrappers_;  // guarded by mu_
};

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    Status status = absl::UnavailableError(fmt::format(
        "cannot open ledger '{}': {}", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close_v2(db);
    return status;
  }
  auto store = std::make_unique<SqliteStore>(db);
  if (Status status = store->Init(); !status.ok()) {
    return absl::Status(status.code(), fmt::format("ledger '{}': {}", path, status.message()));
  }
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace tokenfab::ledger
