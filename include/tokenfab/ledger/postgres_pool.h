// PostgresPool: connections to one PostgreSQL database over libpq, for the ledger's store and the
// membership registry's PostgreSQL backend (one connection layer for both).
//
// A pool of at most `pool_size` connections, opened on demand; Acquire() waits when all are
// busy. A connection that breaks is dropped and a new one opened on the next use. Statements run
// through Execute/Query are prepared once per connection (named after the statement's text) and
// written with "?N" placeholders (sql_session.h), rewritten to PostgreSQL's "$N".
//
// Thread-safety: the pool is thread-safe; a session is used by one thread at a time and must be
// destroyed before the pool.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/status.h"
#include "tokenfab/ledger/sql_session.h"

namespace tokenfab::ledger {

class PostgresPool;
struct PostgresConnection;  // one libpq connection and the statements prepared on it

// A connection borrowed from the pool; returned to it (or dropped if broken) on destruction.
class PostgresSession final : public SqlSession {
 public:
  PostgresSession(PostgresPool* pool, std::unique_ptr<PostgresConnection> conn);
  ~PostgresSession() override;

  [[nodiscard]] StatusOr<int64_t> Execute(const std::string& sql,
                                          const SqlParams& params = {}) override;
  [[nodiscard]] Status Query(const std::string& sql, const SqlParams& params,
                             const std::function<void(const SqlRow&)>& on_row) override;
  // Runs `sql` unprepared (simple protocol: may hold several statements; no parameters).
  [[nodiscard]] Status Exec(std::string_view sql);

  // Waits up to `timeout` for notifications on the channels this connection LISTENs to; their
  // payloads, in arrival order (empty when none came in time). Unavailable when the connection
  // broke (the session is then unusable).
  [[nodiscard]] StatusOr<std::vector<std::string>> WaitForNotifications(
      std::chrono::milliseconds timeout);

  // False once the connection broke.
  bool connected() const { return conn_ != nullptr; }

 private:
  struct Result;
  // Runs `sql` (prepared on first use on this connection) with `params`; Result holds the rows.
  StatusOr<std::unique_ptr<Result>> Run(const std::string& sql, const SqlParams& params);
  // Turns a libpq result into OK or the error: Unavailable when the connection broke,
  // AlreadyExists for a unique violation, NotFound for a foreign-key one, Internal otherwise.
  Status Check(const Result& result, std::string_view sql);

  PostgresPool* pool_;
  std::unique_ptr<PostgresConnection> conn_;
};

class PostgresPool {
 public:
  // `conninfo`: a libpq connection string or postgresql:// URI. `what` names the database's role
  // in errors ("ledger", "registry"). REQUIRES: pool_size >= 1.
  PostgresPool(std::string conninfo, int pool_size, std::string what);
  ~PostgresPool();

  // A connection: an idle one, or a new one while fewer than pool_size are open; else waits.
  // Unavailable when it cannot connect.
  [[nodiscard]] StatusOr<std::unique_ptr<PostgresSession>> Acquire() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  friend class PostgresSession;
  // Takes `conn` back (null: a connection that broke, its slot freed).
  void Release(std::unique_ptr<PostgresConnection> conn) ABSL_LOCKS_EXCLUDED(mu_);
  std::string StatementName(const std::string& sql) ABSL_LOCKS_EXCLUDED(mu_);

  const std::string conninfo_;
  const int pool_size_;
  const std::string what_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<std::unique_ptr<PostgresConnection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // connections idle or leased
  std::map<std::string, std::string> statement_names_ ABSL_GUARDED_BY(mu_);  // sql -> name
};

}  // namespace tokenfab::ledger
