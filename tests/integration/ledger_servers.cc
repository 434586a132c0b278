#include "ledger_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace tokenfab::ledger::testing_servers {
namespace {

namespace fs = std::filesystem;

struct RunAs {
  uid_t uid;
  gid_t gid;
};

// Who PostgreSQL runs as: ourselves unless we are root.
std::optional<RunAs> PostgresUser() {
  if (geteuid() != 0) return std::nullopt;
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* pw = getpwnam(name)) return RunAs{pw->pw_uid, pw->pw_gid};
  }
  return RunAs{65534, 65534};
}

// The directory holding initdb and postgres: $TOKENFAB_PG_BINDIR, the newest
// /usr/lib/postgresql/<version>/bin, or PATH.
std::string PostgresBinDir() {
  if (const char* dir = std::getenv("TOKENFAB_PG_BINDIR")) return dir;
  int best = -1;
  std::string best_dir;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const int version = std::atoi(entry.path().filename().c_str());
    if (version > best && fs::exists(entry.path() / "bin" / "postgres")) {
      best = version;
      best_dir = (entry.path() / "bin").string();
    }
  }
  return best_dir;
}

std::string MakeTempDir(const char* tag) {
  std::string pattern =
      (fs::temp_directory_path() / fmt::format("tokenfab-{}-XXXXXX", tag)).string();
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

// Forks and execs argv[0] with stdout/stderr to `log`, as `user` when given; the child gets
// `death_signal` when this thread's process dies.
StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& log,
                      const std::string& cwd, std::optional<RunAs> user, int death_signal) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    if (chdir(cwd.c_str()) != 0) _exit(126);
    if (user) {
      if (setgroups(0, nullptr) != 0 || setgid(user->gid) != 0 || setuid(user->uid) != 0) {
        _exit(126);
      }
    }
    // After setuid (which clears it), so that the server dies with the test.
    prctl(PR_SET_PDEATHSIG, death_signal);
    if (getppid() != parent) _exit(125);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Waits for `pid` to exit, at most `timeout`; SIGKILLs it after that.
void StopProcess(pid_t pid, int signal, std::chrono::seconds timeout) {
  if (pid <= 0) return;
  kill(pid, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// Polls `ready` every 50 ms for at most 30 s while `pid` lives.
Status WaitReady(pid_t pid, const std::string& what, const std::string& log,
                 const std::function<bool()>& ready) {
  for (int i = 0; i < 600; ++i) {
    if (ready()) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return absl::UnavailableError(
          fmt::format("{} exited during startup:\n{}", what, ReadFile(log)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::DeadlineExceededError(fmt::format("{} did not start:\n{}", what, ReadFile(log)));
}

}  // namespace

StatusOr<int> PickFreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return absl::InternalError("bind failed");
  }
  close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(Options options) {
  const std::string bin = PostgresBinDir();
  if (bin.empty()) return absl::NotFoundError("PostgreSQL server binaries not found");
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->dir_ = MakeTempDir("pg");
  if (server->dir_.empty()) return absl::InternalError("cannot create a temporary directory");
  const std::optional<RunAs> user = PostgresUser();
  if (user && chown(server->dir_.c_str(), user->uid, user->gid) != 0) {
    return absl::InternalError("cannot hand the data directory to the postgres user");
  }
  const std::string data = server->dir_ + "/data";
  const std::string log = server->dir_ + "/server.log";
  TF_ASSIGN_OR_RETURN(pid_t initdb,
                      Spawn({bin + "/initdb", "-D", data, "-U", "tokenfab", "--auth=trust",
                             "--encoding=UTF8", "--locale=C", "--no-sync"},
                            log, server->dir_, user, SIGKILL));
  int status = 0;
  waitpid(initdb, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError(fmt::format("initdb failed:\n{}", ReadFile(log)));
  }
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    TF_ASSIGN_OR_RETURN(server->port_, PickFreePort());
    // SIGQUIT on the test's death: PostgreSQL's immediate shutdown.
    TF_ASSIGN_OR_RETURN(
        server->pid_,
        Spawn({bin + "/postgres", "-D", data, "-p", std::to_string(server->port_), "-k",
               server->dir_, "-c", "listen_addresses=127.0.0.1", "-c",
               std::string("fsync=") + (options.fsync ? "on" : "off"), "-c", "max_connections=50"},
              log, server->dir_, user, SIGQUIT));
    const std::string uri = server->Uri();
    last =
        WaitReady(server->pid_, "postgres", log, [&] { return PQping(uri.c_str()) == PQPING_OK; });
    if (last.ok()) return server;
    StopProcess(server->pid_, SIGQUIT, std::chrono::seconds(10));
    server->pid_ = -1;
  }
  return last;
}

PostgresServer::~PostgresServer() {
  StopProcess(pid_, SIGINT, std::chrono::seconds(20));  // fast shutdown
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

std::string PostgresServer::Uri(const std::string& database) const {
  return fmt::format("postgresql://tokenfab@127.0.0.1:{}/{}", port_, database);
}

StatusOr<std::string> PostgresServer::CreateDatabase() {
  const std::string name = fmt::format("ledger_{}", next_database_++);
  PGconn* conn = PQconnectdb(Uri().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    Status status = absl::UnavailableError(PQerrorMessage(conn));
    PQfinish(conn);
    return status;
  }
  PGresult* result = PQexec(conn, fmt::format("CREATE DATABASE {}", name).c_str());
  const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
  const std::string error = PQresultErrorMessage(result);
  PQclear(result);
  PQfinish(conn);
  if (!ok) return absl::InternalError(fmt::format("CREATE DATABASE failed: {}", error));
  return Uri(name);
}

Status PostgresServer::WaitForOtherSessionsToEnd(const std::string& uri) {
  PGconn* conn = PQconnectdb(uri.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    Status status = absl::UnavailableError(PQerrorMessage(conn));
    PQfinish(conn);
    return status;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string others;
  while (std::chrono::steady_clock::now() < deadline) {
    PGresult* result = PQexec(conn,
                              "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                              "current_database() AND pid <> pg_backend_pid()");
    others = PQresultStatus(result) == PGRES_TUPLES_OK ? PQgetvalue(result, 0, 0) : "?";
    PQclear(result);
    if (others == "0") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  PQfinish(conn);
  if (others == "0") return absl::OkStatus();
  return absl::DeadlineExceededError(fmt::format("{} other sessions still connected", others));
}

namespace {

// One command on a fresh connection to 127.0.0.1:port (after AUTH when `password` is given);
// the reply as text (status, string or error), or "" when the server did not answer.
std::string RedisQuery(int port, const std::string& password,
                       const std::vector<std::string>& argv) {
  timeval timeout{0, 200'000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeout);
  std::string out;
  if (c && !c->err) {
    bool authed = true;
    if (!password.empty()) {
      auto* auth = static_cast<redisReply*>(redisCommand(c, "AUTH %s", password.c_str()));
      authed = auth && auth->type == REDIS_REPLY_STATUS;
      if (auth) freeReplyObject(auth);
    }
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* reply = authed ? static_cast<redisReply*>(redisCommandArgv(
                               c, static_cast<int>(argv.size()), ptrs.data(), lens.data()))
                         : nullptr;
    if (reply && reply->str) out.assign(reply->str, reply->len);
    if (reply) freeReplyObject(reply);
  }
  if (c) redisFree(c);
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(RedisServerOptions options) {
  std::unique_ptr<RedisServer> server(new RedisServer());
  server->options_ = std::move(options);
  server->dir_ = MakeTempDir("redis");
  if (server->dir_.empty()) return absl::InternalError("cannot create a temporary directory");
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    TF_ASSIGN_OR_RETURN(server->port_, PickFreePort());
    last = server->Launch();
    if (last.ok()) return server;
  }
  return last;
}

Status RedisServer::Launch() {
  const std::string log = dir_ + "/server.log";
  std::string binary = "/usr/bin/redis-server";
  if (const char* env = std::getenv("TOKENFAB_REDIS_SERVER")) binary = env;
  std::vector<std::string> argv = {binary,   "--port",       std::to_string(port_),
                                   "--bind", "127.0.0.1",    "--save",
                                   "",       "--appendonly", "no",
                                   "--dir",  dir_,           "--daemonize",
                                   "no"};
  if (options_.cluster) {
    std::error_code ec;
    fs::remove(dir_ + "/nodes.conf", ec);  // a restarted node starts with no slots
    argv.insert(argv.end(),
                {"--cluster-enabled", "yes", "--cluster-config-file", dir_ + "/nodes.conf"});
  }
  if (!options_.password.empty()) argv.insert(argv.end(), {"--requirepass", options_.password});
  TF_ASSIGN_OR_RETURN(pid_, Spawn(argv, log, dir_, std::nullopt, SIGKILL));
  const int port = port_;
  const std::string password = options_.password;
  Status status = WaitReady(pid_, "redis-server", log,
                            [&] { return RedisQuery(port, password, {"PING"}) == "PONG"; });
  if (status.ok() && options_.cluster) {
    RedisQuery(port, password, {"CLUSTER", "ADDSLOTSRANGE", "0", "16383"});
    status = WaitReady(pid_, "redis-server (cluster)", log, [&] {
      return RedisQuery(port, password, {"CLUSTER", "INFO"}).find("cluster_state:ok") !=
             std::string::npos;
    });
  }
  if (!status.ok()) {
    StopProcess(pid_, SIGKILL, std::chrono::seconds(5));
    pid_ = -1;
  }
  return status;
}

void RedisServer::Kill() {
  StopProcess(pid_, SIGKILL, std::chrono::seconds(5));
  pid_ = -1;
}

Status RedisServer::Restart() { return Launch(); }

RedisServer::~RedisServer() {
  StopProcess(pid_, SIGTERM, std::chrono::seconds(10));
  std::error_code ec;
  if (!dir_.empty()) fs::remove_all(dir_, ec);
}

}  // namespace tokenfab::ledger::testing_servers
