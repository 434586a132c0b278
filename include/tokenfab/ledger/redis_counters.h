// RedisCounters: the admission counters shared by several gateways, in Redis.
//
// Each operation is one Lua script run atomically by the server (EVALSHA), with the same
// token-bucket arithmetic as LocalCounters: a bucket is a hash {l: level * window_µs, t: last
// update µs}; concurrency slots are a sorted set of lease ids scored by their expiry. Keys expire
// on their own once a bucket would be full again or every lease lapsed, so Redis holds no state
// for idle tenants. Time comes from the caller (the gateways' wall clocks, kept in step by NTP);
// a clock behind the bucket's last update refills nothing rather than going backwards.
//
// Thread-safety: one connection guarded by a mutex; safe from any thread. A broken connection is
// reopened on the next call.
#pragma once

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
  std::string key_prefix = "tokenfab:";  // prepended to every key
  int64_t lease_ttl_micros = 15 * 60'000'000LL;
  int64_t timeout_micros = 2'000'000;  // connect and per-command
};

// "redis://host[:port][/prefix]" into options (other fields default).
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
  explicit RedisCounters(RedisOptions options) : options_(std::move(options)) {}

  // Runs script `index` (see the .cc) with keys and args; reconnects and reloads as needed.
  StatusOr<std::vector<int64_t>> Eval(int index, const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args);
  Status EnsureConnected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RedisOptions options_;
  absl::Mutex mu_;
  redisContext* context_ ABSL_GUARDED_BY(mu_) ABSL_PT_GUARDED_BY(mu_) = nullptr;  // owned
  std::vector<std::string> shas_ ABSL_GUARDED_BY(mu_);  // loaded script hashes
};

}  // namespace tokenfab::ledger
