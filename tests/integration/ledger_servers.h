// Real PostgreSQL and Redis servers for the ledger's integration tests, started in a temporary
// directory on a free loopback port and stopped (and the directory removed) by the destructor.
//
// The server processes are children of the test that die with it: each is started with a
// parent-death signal, so even a test killed by a crash leaves no server behind. PostgreSQL
// refuses to run as root; under root (as in CI) it runs as the `postgres` system user when there
// is one (the postgresql package creates it), else as `nobody`.
// Not thread-safe; one object per server.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "tokenfab/base/status.h"

namespace tokenfab::ledger::testing_servers {

class PostgresServer {
 public:
  struct Options {
    bool fsync = false;  // off for speed in tests; on for durability benchmarks
  };
  [[nodiscard]] static StatusOr<std::unique_ptr<PostgresServer>> Start(Options options);
  ~PostgresServer();

  int port() const { return port_; }
  // The postmaster's process id (its backends are its children).
  pid_t pid() const { return pid_; }
  // A libpq URI for `database` as the superuser "tokenfab".
  std::string Uri(const std::string& database = "postgres") const;
  // Creates a new empty database and returns its URI.
  [[nodiscard]] StatusOr<std::string> CreateDatabase();
  // Waits (up to 10 s) until no session but this call's own is connected to the database at
  // `uri`. A client killed mid-commit leaves its server backend running: it finishes the
  // transaction and then exits, so what the database holds settles only once it is gone.
  [[nodiscard]] static Status WaitForOtherSessionsToEnd(const std::string& uri);

 private:
  PostgresServer() = default;
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
  int next_database_ = 0;
};

struct RedisServerOptions {
  // Redis Cluster mode with all 16384 hash slots assigned to this one node: a multi-key command
  // over keys in different slots fails with CROSSSLOT, as on a real cluster.
  bool cluster = false;
  std::string password;  // requirepass (the default user's password) when non-empty
};

class RedisServer {
 public:
  [[nodiscard]] static StatusOr<std::unique_ptr<RedisServer>> Start(
      RedisServerOptions options = {});
  ~RedisServer();
  int port() const { return port_; }

  // kill -9 of the server (its data, kept in memory only, is lost).
  void Kill();
  // Starts it again on the same port, empty, after Kill().
  [[nodiscard]] Status Restart();

 private:
  RedisServer() = default;
  // Spawns the server on port_ and waits until it answers (and, in cluster mode, owns every slot).
  Status Launch();

  RedisServerOptions options_;
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
[[nodiscard]] StatusOr<int> PickFreePort();

}  // namespace tokenfab::ledger::testing_servers
