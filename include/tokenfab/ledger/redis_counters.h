// RedisCounters: the admission counters shared by several gateways, in Redis.
//
// Each operation is one Lua script run atomically by the server (EVALSHA), with the same
// token-bucket arithmetic as LocalCounters: a bucket is a hash {l: level * window_µs, t: last
// update µs}; concurrency slots are a sorted set of lease ids scored by their expiry. Keys expire
// on their own once a bucket would be full again or every lease lapsed, so Redis holds no state
// for idle tenants. Time comes from the caller (the gateways' wall clocks, kept in step by NTP);
// a clock behind the bucket's last update refills nothing rather than going backwards.
//
// Connections: a small pool (RedisOptions::pool_size), each connection with its own lock; a call
// takes a free one (opening it on first use), and waits for one only when all are busy, so the
// gateway's threads do not queue behind one round trip. A broken connection is reopened on its
// next call. AUTH (Redis 6 ACL user, or the default user) is sent on every new connection.
// TLS: not supported; the hiredis of Debian 12 (0.14) has no TLS, so Redis belongs on a private
// network or behind a local TLS tunnel.
//
// Thread-safety: safe from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/rate_counters.h"

struct redisContext;

namespace tokenfab::ledger {

struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;                  // empty: AUTH with the password alone (the default user)
  std::string password;                  // empty: no AUTH
  std::string key_prefix = "tokenfab:";  // prepended to every key
  int64_t lease_ttl_micros = 15 * 60'000'000LL;
  int64_t timeout_micros = 2'000'000;            // connect and per-command
  int pool_size = 8;                             // connections at most, >= 1
  std::string client_name = "tokenfab-gateway";  // CLIENT SETNAME, seen in CLIENT LIST
};

// "redis://[[user]:password@]host[:port][/prefix]" into options (other fields default). A
// password in the URL is accepted for tests; deployments pass it by reference
// (--redis-password-file or TOKENFAB_REDIS_PASSWORD).
inline constexpr char kRedisPasswordEnv[] = "TOKENFAB_REDIS_PASSWORD";
[[nodiscard]] StatusOr<RedisOptions> ParseRedisUrl(std::string_view url);

class RedisCounters final : public RateCounters {
 public:
  // Connects and loads the scripts. Unavailable when the server cannot be reached.
  [[nodiscard]] static StatusOr<std::unique_ptr<RedisCounters>> Connect(RedisOptions options);
  // Connects on the first call instead (each call answers Unavailable while the server cannot
  // be reached): for a gateway that may start while Redis is down.
  static std::unique_ptr<RedisCounters> Open(RedisOptions options);
  ~RedisCounters() override;

  StatusOr<TakeResult> TryTake(std::span<const BucketTake> takes, int64_t now_micros) override;
  Status Adjust(const BucketSpec& bucket, int64_t delta, int64_t now_micros) override;
  StatusOr<bool> AcquireSlot(std::string_view key, int64_t limit, std::string_view lease_id,
                             int64_t now_micros) override;
  Status ReleaseSlot(std::string_view key, std::string_view lease_id) override;

 private:
  explicit RedisCounters(RedisOptions options);

  struct Connection {
    absl::Mutex mu;
    redisContext* context ABSL_GUARDED_BY(mu) ABSL_PT_GUARDED_BY(mu) = nullptr;  // owned
    std::vector<std::string> shas ABSL_GUARDED_BY(mu);  // loaded script hashes
  };

  // Runs script `index` (see the .cc) with keys and args on a connection of the pool.
  StatusOr<std::vector<int64_t>> Eval(int index, const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args);
  // The same on `c`; reconnects and reloads the scripts as needed.
  StatusOr<std::vector<int64_t>> EvalOn(Connection& c, int index,
                                        const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);
  // A connection of the pool, locked: a free one if any, else waits for one.
  Connection& Acquire();
  Status EnsureConnected(Connection& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(c.mu);

  const RedisOptions options_;
  std::vector<std::unique_ptr<Connection>> pool_;  // fixed size
  std::atomic<uint32_t> next_{0};                  // where the search for a free one starts
};

}  // namespace tokenfab::ledger
