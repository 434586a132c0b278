// PostgresStore: the ledger shared by several gateways, over libpq.
//
// Connections: a pool of at most PostgresOptions::pool_size connections, opened on demand; a
// caller waits when all are busy. A connection that breaks is dropped and a new one opened on the
// next use. Statements are prepared once per connection (named after the statement's text).
// Durability: PostgreSQL's default synchronous_commit=on makes COMMIT wait for the WAL flush.
// Usage batches are one INSERT ... SELECT FROM unnest(arrays) ... ON CONFLICT DO NOTHING
// RETURNING request_id: one round trip for the whole batch, and the RETURNING list tells which
// rows were new.
//
// Thread-safety: every method may be called from any thread; each call holds one pooled
// connection for its duration.
#include <libpq-fe.h>

#include <charconv>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "schema.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {
namespace {

constexpr int64_t kMigrationLockId = 7'292'001;  // pg_advisory_xact_lock key for migrations

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Text-format parameters for PQexecPrepared; nullopt is SQL NULL.
class Params {
 public:
  Params& Add(std::string_view v) {
    values_.emplace_back(std::string(v));
    return *this;
  }
  Params& Add(const std::string& v) { return Add(std::string_view(v)); }
  Params& Add(int64_t v) {
    values_.emplace_back(std::to_string(v));
    return *this;
  }
  Params& Add(const std::optional<int64_t>& v) {
    if (v) return Add(*v);
    values_.emplace_back(std::nullopt);
    return *this;
  }
  Params& Add(const std::optional<std::string>& v) {
    values_.push_back(v);
    return *this;
  }
  Params& AddLimits(const Limits& limits) {
    Add(limits.rpm).Add(limits.tpm).Add(limits.max_concurrency).Add(limits.token_budget);
    return Add(limits.budget_period
                   ? std::optional<std::string>(BudgetPeriodName(*limits.budget_period))
                   : std::nullopt);
  }

  int size() const { return static_cast<int>(values_.size()); }
  std::vector<const char*> Pointers() const {
    std::vector<const char*> out;
    for (const auto& v : values_) out.push_back(v ? v->c_str() : nullptr);
    return out;
  }

 private:
  std::vector<std::optional<std::string>> values_;
};

// A PostgreSQL array literal of strings: {"a","b\"c"}.
std::string TextArray(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

template <typename T>
std::string NumberArray(const std::vector<T>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    if constexpr (std::is_floating_point_v<T>) {
      out += fmt::format("{:.17g}", values[i]);
    } else {
      out += std::to_string(values[i]);
    }
  }
  out += '}';
  return out;
}

// One row of a result, with typed getters (text format).
class Row {
 public:
  Row(const PGresult* result, int row) : result_(result), row_(row) {}
  bool IsNull(int col) const { return PQgetisnull(result_, row_, col); }
  std::string Text(int col) const {
    return std::string(PQgetvalue(result_, row_, col),
                       static_cast<size_t>(PQgetlength(result_, row_, col)));
  }
  int64_t Int(int col) const {
    const char* begin = PQgetvalue(result_, row_, col);
    int64_t value = 0;
    std::from_chars(begin, begin + PQgetlength(result_, row_, col), value);
    return value;
  }
  double Double(int col) const { return std::strtod(PQgetvalue(result_, row_, col), nullptr); }
  std::optional<int64_t> OptInt(int col) const {
    return IsNull(col) ? std::nullopt : std::optional<int64_t>(Int(col));
  }

 private:
  const PGresult* result_;
  int row_;
};

Limits ReadLimits(const Row& r, int first) {
  Limits limits;
  limits.rpm = r.OptInt(first);
  limits.tpm = r.OptInt(first + 1);
  limits.max_concurrency = r.OptInt(first + 2);
  limits.token_budget = r.OptInt(first + 3);
  if (!r.IsNull(first + 4)) {
    StatusOr<BudgetPeriod> period = ParseBudgetPeriod(r.Text(first + 4));
    if (period.ok()) limits.budget_period = *period;
  }
  return limits;
}

Tier ReadTier(const Row& r) {
  Tier tier;
  tier.name = r.Text(0);
  tier.ttft_slo_ms = r.Int(1);
  tier.tpot_slo_ms = r.Int(2);
  tier.priority = static_cast<int32_t>(r.Int(3));
  tier.limits = ReadLimits(r, 4);
  return tier;
}

Tenant ReadTenant(const Row& r) {
  Tenant tenant;
  tenant.name = r.Text(0);
  tenant.tier = r.Text(1);
  tenant.allowed_regions = internal::SplitRegions(r.Text(2));
  tenant.limits = ReadLimits(r, 3);
  tenant.created_micros = r.Int(8);
  return tenant;
}

ApiKeyRecord ReadApiKey(const Row& r) {
  ApiKeyRecord key;
  key.key_id = r.Text(0);
  key.tenant = r.Text(1);
  key.salt_hex = r.Text(2);
  key.hash_hex = r.Text(3);
  key.created_micros = r.Int(4);
  key.revoked_micros = r.OptInt(5);
  return key;
}

// One connection and the statements prepared on it.
struct Connection {
  PGconn* conn = nullptr;
  std::set<std::string> prepared;  // statement names
  ~Connection() { PQfinish(conn); }
};

class PostgresStore;

// A connection borrowed from the pool for one call; returned (or dropped if broken) on
// destruction.
class Lease {
 public:
  Lease(PostgresStore* store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  Lease(Lease&&) = default;
  ~Lease();

  // Runs `sql` (prepared on first use on this connection) with `params`.
  StatusOr<ResultPtr> Run(const std::string& sql, const Params& params = Params());
  // Runs `sql` unprepared (simple protocol: may hold several statements).
  Status Exec(std::string_view sql);

 private:
  StatusOr<ResultPtr> Check(ResultPtr result, std::string_view sql);

  PostgresStore* store_;
  std::unique_ptr<Connection> conn_;
};

class PostgresStore final : public Store {
 public:
  PostgresStore(std::string conninfo, PostgresOptions options)
      : conninfo_(std::move(conninfo)), options_(options) {}

  Status Init() {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_RETURN_IF_ERROR(lease.Exec("BEGIN"));
    Status status = Migrate(lease);
    if (!status.ok()) {
      (void)lease.Exec("ROLLBACK");
      return status;
    }
    return lease.Exec("COMMIT");
  }

  std::string_view kind() const override { return "postgresql"; }

  StatusOr<int> SchemaVersion() override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    return static_cast<int>(Row(r.get(), 0).Int(0));
  }

  Status PutTier(const Tier& tier) override {
    TF_RETURN_IF_ERROR(ValidateName("tier", tier.name));
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    Params p;
    p.Add(tier.name).Add(tier.ttft_slo_ms).Add(tier.tpot_slo_ms).Add(int64_t{tier.priority});
    p.AddLimits(tier.limits);
    return lease
        .Run(fmt::format("INSERT INTO tiers ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                         "ON CONFLICT (name) DO UPDATE SET ttft_slo_ms = $2, tpot_slo_ms = $3, "
                         "priority = $4, rpm = $5, tpm = $6, max_concurrency = $7, "
                         "token_budget = $8, budget_period = $9",
                         internal::kTierColumns),
             p)
        .status();
  }

  StatusOr<Tier> GetTier(std::string_view name) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run(fmt::format("SELECT {} FROM tiers WHERE name = $1",
                                                           internal::kTierColumns),
                                               Params().Add(name)));
    if (PQntuples(r.get()) == 0) return absl::NotFoundError(fmt::format("no tier '{}'", name));
    return ReadTier(Row(r.get(), 0));
  }

  StatusOr<std::vector<Tier>> ListTiers() override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run(fmt::format("SELECT {} FROM tiers ORDER BY name",
                                                           internal::kTierColumns)));
    std::vector<Tier> tiers;
    for (int i = 0; i < PQntuples(r.get()); ++i) tiers.push_back(ReadTier(Row(r.get(), i)));
    return tiers;
  }

  Status CreateTenant(const Tenant& tenant) override {
    TF_RETURN_IF_ERROR(ValidateTenant(tenant));
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_RETURN_IF_ERROR(RequireTier(lease, tenant.tier));
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run(fmt::format("INSERT INTO tenants ({}) VALUES ($1, $2, $3, $4, "
                                              "$5, $6, $7, $8, $9) ON CONFLICT (name) DO NOTHING",
                                              internal::kTenantColumns),
                                  TenantParams(tenant).Add(tenant.created_micros)));
    if (std::string_view(PQcmdTuples(r.get())) == "0") {
      return absl::AlreadyExistsError(fmt::format("tenant '{}' already exists", tenant.name));
    }
    return absl::OkStatus();
  }

  Status UpdateTenant(const Tenant& tenant) override {
    TF_RETURN_IF_ERROR(ValidateTenant(tenant));
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_RETURN_IF_ERROR(RequireTier(lease, tenant.tier));
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run("UPDATE tenants SET tier = $2, allowed_regions = $3, rpm = $4, "
                                  "tpm = $5, max_concurrency = $6, token_budget = $7, "
                                  "budget_period = $8 WHERE name = $1",
                                  TenantParams(tenant)));
    if (std::string_view(PQcmdTuples(r.get())) == "0") {
      return absl::NotFoundError(fmt::format("no tenant '{}'", tenant.name));
    }
    return absl::OkStatus();
  }

  StatusOr<Tenant> GetTenant(std::string_view name) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run(fmt::format("SELECT {} FROM tenants WHERE name = $1",
                                              internal::kTenantColumns),
                                  Params().Add(name)));
    if (PQntuples(r.get()) == 0) return absl::NotFoundError(fmt::format("no tenant '{}'", name));
    return ReadTenant(Row(r.get(), 0));
  }

  StatusOr<std::vector<Tenant>> ListTenants() override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run(fmt::format("SELECT {} FROM tenants ORDER BY name",
                                                           internal::kTenantColumns)));
    std::vector<Tenant> tenants;
    for (int i = 0; i < PQntuples(r.get()); ++i) tenants.push_back(ReadTenant(Row(r.get(), i)));
    return tenants;
  }

  Status InsertApiKey(const ApiKeyRecord& key) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr t, lease.Run("SELECT 1 FROM tenants WHERE name = $1",
                                               Params().Add(key.tenant)));
    if (PQntuples(t.get()) == 0) {
      return absl::NotFoundError(fmt::format("no tenant '{}'", key.tenant));
    }
    Params p;
    p.Add(key.key_id).Add(key.tenant).Add(key.salt_hex).Add(key.hash_hex);
    p.Add(key.created_micros).Add(key.revoked_micros);
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run(fmt::format("INSERT INTO api_keys ({}) VALUES ($1, $2, $3, $4, "
                                              "$5, $6) ON CONFLICT DO NOTHING",
                                              internal::kApiKeyColumns),
                                  p));
    if (std::string_view(PQcmdTuples(r.get())) == "0") {
      return absl::AlreadyExistsError(fmt::format("API key id '{}' is taken", key.key_id));
    }
    return absl::OkStatus();
  }

  StatusOr<ApiKeyRecord> GetApiKey(std::string_view key_id) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run(fmt::format("SELECT {} FROM api_keys WHERE key_id = $1",
                                              internal::kApiKeyColumns),
                                  Params().Add(key_id)));
    if (PQntuples(r.get()) == 0) return absl::NotFoundError("no such API key");
    return ReadApiKey(Row(r.get(), 0));
  }

  StatusOr<std::vector<ApiKeyRecord>> ListApiKeys(std::string_view tenant) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run(fmt::format("SELECT {} FROM api_keys WHERE $1 = '' OR tenant = "
                                              "$1 ORDER BY created_us, key_id",
                                              internal::kApiKeyColumns),
                                  Params().Add(tenant)));
    std::vector<ApiKeyRecord> keys;
    for (int i = 0; i < PQntuples(r.get()); ++i) keys.push_back(ReadApiKey(Row(r.get(), i)));
    return keys;
  }

  Status RevokeApiKey(std::string_view key_id, int64_t wall_micros) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run("UPDATE api_keys SET revoked_us = "
                                               "COALESCE(revoked_us, $2) WHERE key_id = $1",
                                               Params().Add(key_id).Add(wall_micros)));
    if (std::string_view(PQcmdTuples(r.get())) == "0") {
      return absl::NotFoundError(fmt::format("no API key '{}'", key_id));
    }
    return absl::OkStatus();
  }

  Status AddPrice(const PriceEntry& e) override {
    TF_RETURN_IF_ERROR(ValidatePriceEntry(e));
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    Params p;
    p.Add(e.model).Add(e.region).Add(e.effective_from_micros).Add(e.input_per_million);
    p.Add(e.cached_input_per_million).Add(e.output_per_million).Add(e.currency);
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run(fmt::format("INSERT INTO price_books ({}) VALUES ($1, $2, $3, "
                                              "$4, $5, $6, $7) ON CONFLICT DO NOTHING",
                                              internal::kPriceColumns),
                                  p));
    if (std::string_view(PQcmdTuples(r.get())) == "0") {
      return absl::AlreadyExistsError(fmt::format(
          "a price for model '{}' in region '{}' from that time already exists", e.model,
          e.region));
    }
    return absl::OkStatus();
  }

  StatusOr<std::vector<PriceEntry>> ListPrices() override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run(fmt::format("SELECT {} FROM price_books ORDER BY "
                                                           "model, region, effective_from_us",
                                                           internal::kPriceColumns)));
    std::vector<PriceEntry> prices;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const Row row(r.get(), i);
      PriceEntry& p = prices.emplace_back();
      p.model = row.Text(0);
      p.region = row.Text(1);
      p.effective_from_micros = row.Int(2);
      p.input_per_million = row.Int(3);
      p.cached_input_per_million = row.Int(4);
      p.output_per_million = row.Int(5);
      p.currency = row.Text(6);
    }
    return prices;
  }

  StatusOr<std::vector<InsertOutcome>> InsertUsage(std::span<const UsageEvent> events) override;

  StatusOr<UsageEvent> GetUsage(std::string_view request_id) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run(fmt::format("SELECT {} FROM usage_events WHERE request_id = $1",
                                              internal::kUsageColumns),
                                  Params().Add(request_id)));
    if (PQntuples(r.get()) == 0) {
      return absl::NotFoundError(fmt::format("no usage event '{}'", request_id));
    }
    const Row row(r.get(), 0);
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
    return e;
  }

  StatusOr<std::vector<UsageRow>> QueryUsage(const UsageQuery& query) override {
    const internal::UsageSql q = internal::BuildUsageQuery(query, internal::Placeholders::kDollar);
    Params p;
    for (const auto& param : q.params) {
      if (const int64_t* v = std::get_if<int64_t>(&param)) {
        p.Add(*v);
      } else {
        p.Add(std::string_view(std::get<std::string>(param)));
      }
    }
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run(q.sql, p));
    std::vector<UsageRow> rows;
    const int n = static_cast<int>(query.group_by.size());
    for (int i = 0; i < PQntuples(r.get()); ++i) {
      const Row row(r.get(), i);
      UsageRow& out = rows.emplace_back();
      for (int k = 0; k < n; ++k) {
        out.keys.push_back(query.group_by[k] == UsageDimension::kDay ? FormatUtcDay(row.Int(k))
                                                                     : row.Text(k));
      }
      out.currency = row.Text(n);
      out.requests = row.Int(n + 1);
      out.prompt_tokens = row.Int(n + 2);
      out.cached_tokens = row.Int(n + 3);
      out.completion_tokens = row.Int(n + 4);
      out.cost = row.Int(n + 5);
      out.energy_wh = row.Double(n + 6);
      out.carbon_g = row.Double(n + 7);
    }
    return rows;
  }

  StatusOr<int64_t> TenantTokens(std::string_view tenant, int64_t from_micros,
                                 int64_t to_micros) override {
    TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
    TF_ASSIGN_OR_RETURN(
        ResultPtr r,
        lease.Run("SELECT CAST(COALESCE(SUM(prompt_tokens + completion_tokens), 0) AS BIGINT) "
                  "FROM usage_events WHERE tenant = $1 AND finished_us >= $2 AND finished_us < $3",
                  Params().Add(tenant).Add(from_micros).Add(to_micros)));
    return Row(r.get(), 0).Int(0);
  }

  // Pool management, used by Lease.
  StatusOr<Lease> Acquire();
  void Release(std::unique_ptr<Connection> conn);
  std::string StatementName(const std::string& sql);

 private:
  Status Migrate(Lease& lease) {
    TF_RETURN_IF_ERROR(
        lease.Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockId)));
    TF_RETURN_IF_ERROR(lease.Exec(internal::kCreateMigrationsTable));
    for (const internal::Migration& migration : internal::Migrations()) {
      TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run("SELECT 1 FROM schema_migrations WHERE version = $1",
                                                 Params().Add(int64_t{migration.version})));
      if (PQntuples(r.get()) > 0) continue;
      TF_RETURN_IF_ERROR(lease.Exec(migration.sql));
      TF_RETURN_IF_ERROR(lease.Run("INSERT INTO schema_migrations (version, applied_us) VALUES "
                                   "($1, CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS BIGINT))",
                                   Params().Add(int64_t{migration.version}))
                             .status());
    }
    return absl::OkStatus();
  }

  static Status ValidateTenant(const Tenant& tenant) {
    TF_RETURN_IF_ERROR(ValidateName("tenant", tenant.name));
    for (const std::string& region : tenant.allowed_regions) {
      TF_RETURN_IF_ERROR(ValidateName("region", region));
    }
    return absl::OkStatus();
  }

  static Status RequireTier(Lease& lease, std::string_view tier) {
    TF_ASSIGN_OR_RETURN(ResultPtr r,
                        lease.Run("SELECT 1 FROM tiers WHERE name = $1", Params().Add(tier)));
    if (PQntuples(r.get()) == 0) return absl::NotFoundError(fmt::format("no tier '{}'", tier));
    return absl::OkStatus();
  }

  static Params TenantParams(const Tenant& tenant) {
    Params p;
    p.Add(tenant.name).Add(tenant.tier).Add(internal::JoinRegions(tenant.allowed_regions));
    p.AddLimits(tenant.limits);
    return p;
  }

  const std::string conninfo_;
  const PostgresOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mu_
  int open_ = 0;                                   // connections idle or leased; guarded by mu_
  std::map<std::string, std::string> statement_names_;  // sql -> name; guarded by mu_
};

Lease::~Lease() {
  if (conn_) store_->Release(std::move(conn_));
}

Status Lease::Exec(std::string_view sql) {
  if (!conn_) return absl::UnavailableError("postgresql: the connection was lost");
  const std::string text(sql);
  return Check(ResultPtr(PQexec(conn_->conn, text.c_str()), &PQclear), sql).status();
}

StatusOr<ResultPtr> Lease::Run(const std::string& sql, const Params& params) {
  if (!conn_) return absl::UnavailableError("postgresql: the connection was lost");
  const std::string name = store_->StatementName(sql);
  if (!conn_->prepared.contains(name)) {
    TF_RETURN_IF_ERROR(
        Check(ResultPtr(PQprepare(conn_->conn, name.c_str(), sql.c_str(), 0, nullptr), &PQclear),
              sql)
            .status());
    conn_->prepared.insert(name);
  }
  const std::vector<const char*> values = params.Pointers();
  return Check(ResultPtr(PQexecPrepared(conn_->conn, name.c_str(), params.size(), values.data(),
                                        nullptr, nullptr, 0),
                         &PQclear),
               sql);
}

StatusOr<ResultPtr> Lease::Check(ResultPtr result, std::string_view sql) {
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string message = fmt::format("postgresql: {}: {}", sql.substr(0, 60),
                                          result ? PQresultErrorMessage(result.get())
                                                 : PQerrorMessage(conn_->conn));
  if (PQstatus(conn_->conn) != CONNECTION_OK) {
    conn_.reset();  // broken: drop it rather than return it to the pool
    store_->Release(nullptr);
    return absl::UnavailableError(message);
  }
  const std::string_view code = state ? state : "";
  if (code == "23505") return absl::AlreadyExistsError(message);
  if (code == "23503") return absl::NotFoundError(message);
  return absl::InternalError(message);
}

StatusOr<Lease> PostgresStore::Acquire() {
  {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !idle_.empty() || open_ < options_.pool_size; });
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // reserve a slot, then connect without holding the lock
  }
  auto conn = std::make_unique<Connection>();
  conn->conn = PQconnectdb(conninfo_.c_str());
  if (PQstatus(conn->conn) != CONNECTION_OK) {
    Status status = absl::UnavailableError(
        fmt::format("cannot connect to the PostgreSQL ledger: {}", PQerrorMessage(conn->conn)));
    conn.reset();
    Release(nullptr);
    return status;
  }
  PQsetNoticeProcessor(conn->conn, [](void*, const char*) {}, nullptr);
  return Lease(this, std::move(conn));
}

void PostgresStore::Release(std::unique_ptr<Connection> conn) {
  {
    std::lock_guard lock(mu_);
    if (conn) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.notify_one();
}

std::string PostgresStore::StatementName(const std::string& sql) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = statement_names_.try_emplace(sql, "");
  if (inserted) it->second = fmt::format("tf{}", statement_names_.size());
  return it->second;
}

StatusOr<std::vector<InsertOutcome>> PostgresStore::InsertUsage(
    std::span<const UsageEvent> events) {
  if (events.empty()) return std::vector<InsertOutcome>();
  // Column arrays, in kUsageColumns order.
  std::vector<std::string_view> ids, tenants, keys, models, regions, sites, upstreams, statuses,
      currencies;
  std::vector<int64_t> prompt, cached, completion, ttft, tpot, http, cost, started, finished,
      recorded;
  std::vector<double> energy, carbon;
  for (const UsageEvent& e : events) {
    ids.push_back(e.request_id);
    tenants.push_back(e.tenant);
    keys.push_back(e.key_id);
    models.push_back(e.model);
    regions.push_back(e.region);
    sites.push_back(e.site);
    upstreams.push_back(e.upstream);
    prompt.push_back(e.prompt_tokens);
    cached.push_back(e.cached_tokens);
    completion.push_back(e.completion_tokens);
    ttft.push_back(e.ttft_micros);
    tpot.push_back(e.tpot_micros);
    statuses.push_back(e.status);
    http.push_back(e.http_status);
    energy.push_back(e.energy_wh);
    carbon.push_back(e.carbon_g);
    cost.push_back(e.cost);
    currencies.push_back(e.currency);
    started.push_back(e.started_micros);
    finished.push_back(e.finished_micros);
    recorded.push_back(e.recorded_micros);
  }
  Params p;
  p.Add(TextArray(ids)).Add(TextArray(tenants)).Add(TextArray(keys)).Add(TextArray(models));
  p.Add(TextArray(regions)).Add(TextArray(sites)).Add(TextArray(upstreams));
  p.Add(NumberArray(prompt)).Add(NumberArray(cached)).Add(NumberArray(completion));
  p.Add(NumberArray(ttft)).Add(NumberArray(tpot)).Add(TextArray(statuses)).Add(NumberArray(http));
  p.Add(NumberArray(energy)).Add(NumberArray(carbon)).Add(NumberArray(cost));
  p.Add(TextArray(currencies)).Add(NumberArray(started)).Add(NumberArray(finished));
  p.Add(NumberArray(recorded));
  const std::string sql = fmt::format(
      "INSERT INTO usage_events ({0}) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], "
      "$4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[], "
      "$10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::integer[], "
      "$15::float8[], $16::float8[], $17::bigint[], $18::text[], $19::bigint[], $20::bigint[], "
      "$21::bigint[]) AS t({0}) ON CONFLICT (request_id) DO NOTHING RETURNING request_id",
      internal::kUsageColumns);

  TF_ASSIGN_OR_RETURN(Lease lease, Acquire());
  // A single statement is its own transaction: all rows commit together or none does.
  TF_ASSIGN_OR_RETURN(ResultPtr r, lease.Run(sql, p));
  std::unordered_set<std::string> inserted;
  for (int i = 0; i < PQntuples(r.get()); ++i) inserted.insert(Row(r.get(), i).Text(0));
  std::vector<InsertOutcome> outcomes;
  outcomes.reserve(events.size());
  for (const UsageEvent& e : events) {
    // The first occurrence of an id in the batch is the one inserted; erase so later ones are
    // duplicates.
    outcomes.push_back(inserted.erase(e.request_id) > 0 ? InsertOutcome::kInserted
                                                         : InsertOutcome::kDuplicate);
  }
  return outcomes;
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& conninfo,
                                                   const PostgresOptions& options) {
  if (options.pool_size < 1) return absl::InvalidArgumentError("pool size must be at least 1");
  auto store = std::make_unique<PostgresStore>(conninfo, options);
  TF_RETURN_IF_ERROR(store->Init());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace tokenfab::ledger
