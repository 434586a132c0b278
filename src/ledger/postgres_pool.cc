#include "tokenfab/ledger/postgres_pool.h"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <cstdlib>
#include <optional>
#include <set>
#include <variant>

#include <fmt/format.h>

namespace tokenfab::ledger {

struct PostgresConnection {
  PGconn* conn = nullptr;
  std::set<std::string> prepared;  // statement names
  ~PostgresConnection() { PQfinish(conn); }
};

struct PostgresSession::Result {
  std::unique_ptr<PGresult, decltype(&PQclear)> result{nullptr, &PQclear};
};

namespace {

// Text-format parameters for PQexecPrepared; nullptr is SQL NULL.
class Params {
 public:
  explicit Params(const SqlParams& params) {
    for (const SqlValue& value : params) {
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

}  // namespace

PostgresSession::PostgresSession(PostgresPool* pool, std::unique_ptr<PostgresConnection> conn)
    : pool_(pool), conn_(std::move(conn)) {}

PostgresSession::~PostgresSession() {
  if (conn_) pool_->Release(std::move(conn_));
}

Status PostgresSession::Exec(std::string_view sql) {
  if (!conn_) return absl::UnavailableError("postgresql: the connection was lost");
  const std::string text(sql);
  Result r;
  r.result.reset(PQexec(conn_->conn, text.c_str()));
  return Check(r, sql);
}

StatusOr<std::unique_ptr<PostgresSession::Result>> PostgresSession::Run(const std::string& sql,
                                                                        const SqlParams& params) {
  if (!conn_) return absl::UnavailableError("postgresql: the connection was lost");
  const std::string name = pool_->StatementName(sql);
  if (!conn_->prepared.contains(name)) {
    const std::string text = DollarPlaceholders(sql);
    Result prepared;
    prepared.result.reset(PQprepare(conn_->conn, name.c_str(), text.c_str(), 0, nullptr));
    TF_RETURN_IF_ERROR(Check(prepared, sql));
    conn_->prepared.insert(name);
  }
  const Params text_params(params);
  const std::vector<const char*> values = text_params.Pointers();
  auto r = std::make_unique<Result>();
  r->result.reset(PQexecPrepared(conn_->conn, name.c_str(), text_params.size(), values.data(),
                                 nullptr, nullptr, 0));
  TF_RETURN_IF_ERROR(Check(*r, sql));
  return r;
}

StatusOr<int64_t> PostgresSession::Execute(const std::string& sql, const SqlParams& params) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<Result> r, Run(sql, params));
  const std::string_view changed = PQcmdTuples(r->result.get());
  int64_t count = 0;
  std::from_chars(changed.data(), changed.data() + changed.size(), count);
  return count;
}

Status PostgresSession::Query(const std::string& sql, const SqlParams& params,
                              const std::function<void(const SqlRow&)>& on_row) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<Result> r, Run(sql, params));
  for (int i = 0; i < PQntuples(r->result.get()); ++i) on_row(Row(r->result.get(), i));
  return absl::OkStatus();
}

StatusOr<std::vector<std::string>> PostgresSession::WaitForNotifications(
    std::chrono::milliseconds timeout) {
  if (!conn_) return absl::UnavailableError("postgresql: the connection was lost");
  auto lost = [this] {
    const std::string message = fmt::format("postgresql: {}", PQerrorMessage(conn_->conn));
    conn_.reset();
    pool_->Release(nullptr);
    return absl::UnavailableError(message);
  };
  auto drain = [this] {
    std::vector<std::string> out;
    while (PGnotify* n = PQnotifies(conn_->conn)) {
      out.emplace_back(n->extra);
      PQfreemem(n);
    }
    return out;
  };
  if (!PQconsumeInput(conn_->conn)) return lost();
  if (std::vector<std::string> ready = drain(); !ready.empty()) return ready;
  pollfd fd{.fd = PQsocket(conn_->conn), .events = POLLIN, .revents = 0};
  if (fd.fd < 0) return lost();
  if (::poll(&fd, 1, static_cast<int>(timeout.count())) <= 0) return std::vector<std::string>();
  if (!PQconsumeInput(conn_->conn)) return lost();
  return drain();
}

Status PostgresSession::Check(const Result& result, std::string_view sql) {
  const PGresult* r = result.result.get();
  const ExecStatusType status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return absl::OkStatus();
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string message =
      fmt::format("postgresql: {}: {}", sql.substr(0, 60),
                  r ? PQresultErrorMessage(r) : PQerrorMessage(conn_->conn));
  if (PQstatus(conn_->conn) != CONNECTION_OK) {
    conn_.reset();  // broken: drop it rather than return it to the pool
    pool_->Release(nullptr);
    return absl::UnavailableError(message);
  }
  const std::string_view code = state ? state : "";
  if (code == "23505") return absl::AlreadyExistsError(message);
  if (code == "23503") return absl::NotFoundError(message);
  return absl::InternalError(message);
}

PostgresPool::PostgresPool(std::string conninfo, int pool_size, std::string what)
    : conninfo_(std::move(conninfo)), pool_size_(pool_size), what_(std::move(what)) {}

PostgresPool::~PostgresPool() = default;

StatusOr<std::unique_ptr<PostgresSession>> PostgresPool::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    while (idle_.empty() && open_ >= pool_size_) cv_.Wait(&mu_);
    if (!idle_.empty()) {
      std::unique_ptr<PostgresConnection> conn = std::move(idle_.back());
      idle_.pop_back();
      return std::make_unique<PostgresSession>(this, std::move(conn));
    }
    ++open_;  // reserve a slot, then connect without holding the lock
  }
  auto conn = std::make_unique<PostgresConnection>();
  conn->conn = PQconnectdb(conninfo_.c_str());
  if (PQstatus(conn->conn) != CONNECTION_OK) {
    Status status = absl::UnavailableError(
        fmt::format("cannot connect to the PostgreSQL {}: {}", what_, PQerrorMessage(conn->conn)));
    conn.reset();
    Release(nullptr);
    return status;
  }
  PQsetNoticeProcessor(
      conn->conn, [](void*, const char*) {}, nullptr);
  return std::make_unique<PostgresSession>(this, std::move(conn));
}

void PostgresPool::Release(std::unique_ptr<PostgresConnection> conn) {
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

std::string PostgresPool::StatementName(const std::string& sql) {
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = statement_names_.try_emplace(sql, "");
  if (inserted) it->second = fmt::format("tf{}", statement_names_.size());
  return it->second;
}

}  // namespace tokenfab::ledger
