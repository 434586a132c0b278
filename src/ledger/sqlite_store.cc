// SqliteStore: the embedded ledger, one SQLite file.
//
// Durability: the journal is WAL with synchronous=FULL, so every COMMIT fsyncs the WAL before it
// returns. WAL with synchronous=NORMAL would already survive kill -9 of the process (the WAL is
// in the OS page cache), but it may lose the last commits on a power cut or kernel crash; an
// acknowledged response must never be lost, so we pay the fsync, once per group-committed batch.
//
// Thread-safety: one connection, guarded by mu_; a session holds mu_ for its lifetime. Other
// processes (the CLI while a gateway runs) may use the same file; busy_timeout makes them wait
// for each other's write transactions.
#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "row_mapping.h"
#include "schema.h"
#include "sql_store.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::ledger {
namespace {

using internal::SqlParams;
using internal::SqlRow;
using internal::SqlSession;
using internal::SqlValue;

// A prepared statement owned by the store's cache, readable as the current row.
class Stmt final : public SqlRow {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Stmt() override { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  void BindAll(const SqlParams& params) {
    for (size_t i = 0; i < params.size(); ++i) Bind(static_cast<int>(i) + 1, params[i]);
  }
  // SQLITE_ROW: a row is ready; SQLITE_DONE: finished; anything else is an error.
  int Step() { return sqlite3_step(stmt_); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  bool IsNull(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int64_t Int(int col) const override { return sqlite3_column_int64(stmt_, col); }
  double Double(int col) const override { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const override {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    return text ? std::string(reinterpret_cast<const char*>(text),
                              static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
                : std::string();
  }

 private:
  void Bind(int index, const SqlValue& value) {
    if (const auto* v = std::get_if<int64_t>(&value)) {
      sqlite3_bind_int64(stmt_, index, *v);
    } else if (const auto* d = std::get_if<double>(&value)) {
      sqlite3_bind_double(stmt_, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&value)) {
      sqlite3_bind_text(stmt_, index, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    } else {
      sqlite3_bind_null(stmt_, index);
    }
  }

  sqlite3_stmt* stmt_;
};

// Resets a statement when it goes out of scope.
class StmtUse {
 public:
  explicit StmtUse(Stmt& stmt) : stmt_(stmt) {}
  ~StmtUse() { stmt_.Reset(); }
  Stmt* operator->() { return &stmt_; }

 private:
  Stmt& stmt_;
};

// The store's one connection and its statement cache. Every method REQUIRES the store's mutex.
class Connection {
 public:
  explicit Connection(sqlite3* db) : db_(db) {}
  ~Connection() {
    statements_.clear();  // finalize before closing
    sqlite3_close_v2(db_);
  }

  sqlite3* db() const { return db_; }

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

  StatusOr<int64_t> Execute(const std::string& sql, const SqlParams& params) {
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(sql));
    StmtUse use(*s);
    use->BindAll(params);
    if (use->Step() != SQLITE_DONE) return Error(sql);
    return sqlite3_changes(db_);
  }

  Status Query(const std::string& sql, const SqlParams& params,
               const std::function<void(const SqlRow&)>& on_row) {
    TF_ASSIGN_OR_RETURN(Stmt * s, Prepare(sql));
    StmtUse use(*s);
    use->BindAll(params);
    int rc;
    while ((rc = use->Step()) == SQLITE_ROW) on_row(*s);
    if (rc != SQLITE_DONE) return Error(sql);
    return absl::OkStatus();
  }

 private:
  StatusOr<Stmt*> Prepare(const std::string& sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                             SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
        return absl::InternalError(fmt::format("sqlite: prepare: {}", sqlite3_errmsg(db_)));
      }
      it = statements_.emplace(sql, std::make_unique<Stmt>(stmt)).first;
    }
    return it->second.get();
  }

  Status Error(std::string_view sql) const {
    return absl::InternalError(
        fmt::format("sqlite: {}: {}", sql.substr(0, 60), sqlite3_errmsg(db_)));
  }

  sqlite3* const db_;
  std::map<std::string, std::unique_ptr<Stmt>> statements_;
};

// The connection, locked for one store call: holds `mu` from construction to destruction (a
// scoped lock the analysis follows on the stack; OpenSession hands one out on the heap).
class ABSL_SCOPED_LOCKABLE Session final : public SqlSession {
 public:
  Session(absl::Mutex* mu, Connection* connection)
      ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) ABSL_NO_THREAD_SAFETY_ANALYSIS : mu_(*mu),
                                                                        connection_(*connection) {
    mu_.Lock();
  }
  ~Session() override ABSL_UNLOCK_FUNCTION() ABSL_NO_THREAD_SAFETY_ANALYSIS { mu_.Unlock(); }

  StatusOr<int64_t> Execute(const std::string& sql, const SqlParams& params) override {
    return connection_.Execute(sql, params);
  }
  Status Query(const std::string& sql, const SqlParams& params,
               const std::function<void(const SqlRow&)>& on_row) override {
    return connection_.Query(sql, params, on_row);
  }
  Status Exec(std::string_view sql) { return connection_.Exec(sql); }
  // Runs `body` in one BEGIN IMMEDIATE ... COMMIT transaction; rolls back when it fails.
  template <typename Body>
  auto InTransaction(Body body) -> decltype(body()) {
    TF_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    auto result = body();
    if (!result.ok()) {
      (void)Exec("ROLLBACK");
      return result;
    }
    if (Status status = Exec("COMMIT"); !status.ok()) {
      (void)Exec("ROLLBACK");
      return status;
    }
    return result;
  }

 private:
  absl::Mutex& mu_;
  Connection& connection_;
};

class SqliteStore final : public internal::SqlStore {
 public:
  explicit SqliteStore(sqlite3* db) : connection_(db) {}

  Status Init() {
    Session session(&mu_, &connection_);
    TF_RETURN_IF_ERROR(session.Exec("PRAGMA journal_mode=WAL"));
    TF_RETURN_IF_ERROR(session.Exec("PRAGMA synchronous=FULL"));
    TF_RETURN_IF_ERROR(session.Exec("PRAGMA foreign_keys=ON"));
    sqlite3_busy_timeout(connection_.db(), 10'000);
    TF_RETURN_IF_ERROR(session.Exec(internal::kCreateMigrationsTable));
    for (const internal::Migration& migration : internal::Migrations()) {
      TF_RETURN_IF_ERROR(session.InTransaction([&] { return ApplyMigration(session, migration); }));
    }
    return absl::OkStatus();
  }

  std::string_view kind() const override { return "sqlite"; }

  StatusOr<std::vector<InsertOutcome>> InsertUsage(std::span<const UsageEvent> events) override {
    Session session(&mu_, &connection_);
    return session.InTransaction([&]() -> StatusOr<std::vector<InsertOutcome>> {
      const std::string sql = fmt::format(
          "INSERT INTO usage_events ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
          "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) ON CONFLICT "
          "(request_id) DO "
          "NOTHING",
          internal::kUsageColumns);
      std::vector<InsertOutcome> outcomes;
      outcomes.reserve(events.size());
      for (const UsageEvent& e : events) {
        TF_ASSIGN_OR_RETURN(int64_t changed, session.Execute(sql, internal::UsageParams(e)));
        outcomes.push_back(changed > 0 ? InsertOutcome::kInserted : InsertOutcome::kDuplicate);
      }
      return outcomes;
    });
  }

 protected:
  StatusOr<std::unique_ptr<SqlSession>> OpenSession() override {
    return std::unique_ptr<SqlSession>(std::make_unique<Session>(&mu_, &connection_));
  }

 private:
  static Status ApplyMigration(Session& session, const internal::Migration& migration) {
    bool applied = false;
    TF_RETURN_IF_ERROR(session.Query("SELECT 1 FROM schema_migrations WHERE version = ?1",
                                     {int64_t{migration.version}},
                                     [&](const SqlRow&) { applied = true; }));
    if (applied) return absl::OkStatus();
    TF_RETURN_IF_ERROR(session.Exec(migration.sql));
    return session
        .Execute(
            "INSERT INTO schema_migrations (version, applied_us) VALUES (?1, "
            "CAST(strftime('%s', 'now') AS INTEGER) * 1000000)",
            {int64_t{migration.version}})
        .status();
  }

  absl::Mutex mu_;
  Connection connection_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
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
