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
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "row_mapping.h"
#include "schema.h"
#include "sql_store.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {
namespace {

constexpr int64_t kMigrationLockId = 7'292'001;  // pg_advisory_xact_lock key for migrations

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

using internal::SqlParams;
using internal::SqlRow;
using internal::SqlSession;

// Text-format parameters for PQexecPrepared; nullptr is SQL NULL.
class Params {
 public:
  Params() = default;
  explicit Params(const SqlParams& params) {
    for (const internal::SqlValue& value : params) {
      if (const auto* v = std::get_if<int64_t>(&value)) {
        values_.emplace_back(std::to_string(*v));
      } else if (const auto* d = std::get_if<double>(&value)) {
        values_.emplace_back(fmt::format("{:.17g}", *d));
      } else if (const auto* s = std::get_if<std::string>(&value)) {
        values_.emplace_back(*s);
      } else {
        values_.emplace_back(std::nullopt);
      }
    }
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

// The shared statements' "?N" placeholders as PostgreSQL's "$N".
std::string DollarPlaceholders(std::string sql) {
  for (size_t i = 0; i + 1 < sql.size(); ++i) {
    if (sql[i] == '?' && sql[i + 1] >= '0' && sql[i + 1] <= '9') sql[i] = '$';
  }
  return sql;
}

// One element of a PostgreSQL array literal: {"a","b\\"c"}, {1,2}, {0.5,NULL}.
void AppendArrayElement(const internal::SqlValue& value, std::string& out) {
  if (const auto* v = std::get_if<int64_t>(&value)) {
    out += std::to_string(*v);
  } else if (const auto* d = std::get_if<double>(&value)) {
    out += fmt::format("{:.17g}", *d);
  } else if (const auto* text = std::get_if<std::string>(&value)) {
    out += '"';
    for (char c : *text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  } else {
    out += "NULL";
  }
}

// The batch as one array literal per usage_events column, in kUsageColumns order.
SqlParams UsageColumnArrays(std::span<const UsageEvent> events) {
  std::vector<SqlParams> rows;
  rows.reserve(events.size());
  for (const UsageEvent& e : events) rows.push_back(internal::UsageParams(e));
  SqlParams arrays;
  for (int column = 0; column < internal::kUsageColumnCount; ++column) {
    std::string array = "{";
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i) array += ',';
      AppendArrayElement(rows[i][column], array);
    }
    array += '}';
    arrays.push_back(std::move(array));
  }
  return arrays;
}

// One row of a result (text format).
class Row final : public SqlRow {
 public:
  Row(const PGresult* result, int row) : result_(result), row_(row) {}
  bool IsNull(int col) const override { return PQgetisnull(result_, row_, col); }
  std::string Text(int col) const override {
    return std::string(PQgetvalue(result_, row_, col),
                       static_cast<size_t>(PQgetlength(result_, row_, col)));
  }
  int64_t Int(int col) const override {
    const char* begin = PQgetvalue(result_, row_, col);
    int64_t value = 0;
    std::from_chars(begin, begin + PQgetlength(result_, row_, col), value);
    return value;
  }
  double Double(int col) const override {
    return std::strtod(PQgetvalue(result_, row_, col), nullptr);
  }

 private:
  const PGresult* result_;
  int row_;
};

// One connection and the statements prepared on it.
struct Connection {
  PGconn* conn = nullptr;
  std::set<std::string> prepared;  // statement names
  ~Connection() { PQfinish(conn); }
};

class PostgresStore;

// A connection borrowed from the pool for one store call; returned (or dropped if broken) on
// destruction.
class Lease final : public SqlSession {
 public:
  Lease(PostgresStore* store, std::unique_ptr<Connection> conn)
      : store_(store), conn_(std::move(conn)) {}
  ~Lease() override;

  StatusOr<int64_t> Execute(const std::string& sql, const SqlParams& params) override;
  Status Query(const std::string& sql, const SqlParams& params,
               const std::function<void(const SqlRow&)>& on_row) override;

  // Runs `sql` (prepared on first use on this connection) with `params`.
  StatusOr<ResultPtr> Run(const std::string& sql, const Params& params = Params());
  // Runs `sql` unprepared (simple protocol: may hold several statements).
  Status Exec(std::string_view sql);

 private:
  StatusOr<ResultPtr> Check(ResultPtr result, std::string_view sql);

  PostgresStore* store_;
  std::unique_ptr<Connection> conn_;
};

class PostgresStore final : public internal::SqlStore {
 public:
  PostgresStore(std::string conninfo, PostgresOptions options)
      : conninfo_(std::move(conninfo)), options_(options) {}

  Status Init() {
    TF_ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease, Acquire());
    TF_RETURN_IF_ERROR(lease->Exec("BEGIN"));
    Status status = Migrate(*lease);
    if (!status.ok()) {
      (void)lease->Exec("ROLLBACK");
      return status;
    }
    return lease->Exec("COMMIT");
  }

  std::string_view kind() const override { return "postgresql"; }

  StatusOr<std::vector<InsertOutcome>> InsertUsage(std::span<const UsageEvent> events) override;

  // Pool management, used by Lease.
  StatusOr<std::unique_ptr<Lease>> Acquire();
  void Release(std::unique_ptr<Connection> conn);
  std::string StatementName(const std::string& sql);

 protected:
  StatusOr<std::unique_ptr<SqlSession>> OpenSession() override {
    TF_ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease, Acquire());
    return std::unique_ptr<SqlSession>(std::move(lease));
  }

 private:
  static Status Migrate(Lease& lease) {
    TF_RETURN_IF_ERROR(
        lease.Exec(fmt::format("SELECT pg_advisory_xact_lock({})", kMigrationLockId)));
    TF_RETURN_IF_ERROR(lease.Exec(internal::kCreateMigrationsTable));
    for (const internal::Migration& migration : internal::Migrations()) {
      bool applied = false;
      TF_RETURN_IF_ERROR(lease.Query("SELECT 1 FROM schema_migrations WHERE version = ?1",
                                     {int64_t{migration.version}},
                                     [&](const SqlRow&) { applied = true; }));
      if (applied) continue;
      TF_RETURN_IF_ERROR(lease.Exec(migration.sql));
      TF_RETURN_IF_ERROR(lease
                             .Execute("INSERT INTO schema_migrations (version, applied_us) "
                                      "VALUES (?1, CAST(EXTRACT(EPOCH FROM now()) * 1000000 AS "
                                      "BIGINT))",
                                      {int64_t{migration.version}})
                             .status());
    }
    return absl::OkStatus();
  }

  const std::string conninfo_;
  const PostgresOptions options_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<std::unique_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // connections idle or leased
  std::map<std::string, std::string> statement_names_ ABSL_GUARDED_BY(mu_);  // sql -> name
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
    const std::string text = DollarPlaceholders(sql);
    TF_RETURN_IF_ERROR(
        Check(ResultPtr(PQprepare(conn_->conn, name.c_str(), text.c_str(), 0, nullptr), &PQclear),
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

StatusOr<int64_t> Lease::Execute(const std::string& sql, const SqlParams& params) {
  TF_ASSIGN_OR_RETURN(ResultPtr r, Run(sql, Params(params)));
  const std::string_view changed = PQcmdTuples(r.get());
  int64_t count = 0;
  std::from_chars(changed.data(), changed.data() + changed.size(), count);
  return count;
}

Status Lease::Query(const std::string& sql, const SqlParams& params,
                    const std::function<void(const SqlRow&)>& on_row) {
  TF_ASSIGN_OR_RETURN(ResultPtr r, Run(sql, Params(params)));
  for (int i = 0; i < PQntuples(r.get()); ++i) on_row(Row(r.get(), i));
  return absl::OkStatus();
}

StatusOr<ResultPtr> Lease::Check(ResultPtr result, std::string_view sql) {
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  const char* state = result ? PQresultErrorField(result.get(), PG_DIAG_SQLSTATE) : nullptr;
  const std::string message =
      fmt::format("postgresql: {}: {}", sql.substr(0, 60),
                  result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_->conn));
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

StatusOr<std::unique_ptr<Lease>> PostgresStore::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    while (idle_.empty() && open_ >= options_.pool_size) cv_.Wait(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> conn = std::move(idle_.back());
      idle_.pop_back();
      return std::make_unique<Lease>(this, std::move(conn));
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
  PQsetNoticeProcessor(
      conn->conn, [](void*, const char*) {}, nullptr);
  return std::make_unique<Lease>(this, std::move(conn));
}

void PostgresStore::Release(std::unique_ptr<Connection> conn) {
  {
    absl::MutexLock lock(&mu_);
    if (conn) {
      idle_.push_back(std::move(conn));
    } else {
      --open_;
    }
  }
  cv_.Signal();
}

std::string PostgresStore::StatementName(const std::string& sql) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = statement_names_.try_emplace(sql, "");
  if (inserted) it->second = fmt::format("tf{}", statement_names_.size());
  return it->second;
}

StatusOr<std::vector<InsertOutcome>> PostgresStore::InsertUsage(
    std::span<const UsageEvent> events) {
  if (events.empty()) return std::vector<InsertOutcome>();
  const std::string sql = fmt::format(
      "INSERT INTO usage_events ({0}) SELECT * FROM unnest(?1::text[], ?2::text[], ?3::text[], "
      "?4::text[], ?5::text[], ?6::text[], ?7::text[], ?8::bigint[], ?9::bigint[], "
      "?10::bigint[], ?11::bigint[], ?12::bigint[], ?13::text[], ?14::integer[], "
      "?15::float8[], ?16::float8[], ?17::bigint[], ?18::text[], ?19::bigint[], ?20::bigint[], "
      "?21::bigint[], ?22::text[], ?23::text[], ?24::float8[]) AS t({0}) ON CONFLICT (request_id) "
      "DO NOTHING "
      "RETURNING request_id",
      internal::kUsageColumns);

  TF_ASSIGN_OR_RETURN(std::unique_ptr<Lease> lease, Acquire());
  // A single statement is its own transaction: all rows commit together or none does.
  std::unordered_set<std::string> inserted;
  TF_RETURN_IF_ERROR(lease->Query(sql, UsageColumnArrays(events),
                                  [&](const SqlRow& row) { inserted.insert(row.Text(0)); }));
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
