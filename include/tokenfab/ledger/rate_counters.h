// Counters behind admission control: token buckets (RPM, TPM) and concurrency slots.
//
// Why token buckets: the state is two numbers per key (level, last update), the limit refills
// continuously so there is no burst at window boundaries as with fixed windows, weighted costs
// (tokens) and after-the-fact corrections (actual usage below or above the reservation) are one
// addition, and the whole check-and-take is a few lines that Redis runs atomically as one Lua
// script. A bucket holds at most `capacity` and refills `capacity` per `window` (for RPM: the
// limit per 60 s), so a tenant may burst up to one minute's allowance, then gets the limit rate.
//
// Arithmetic is exact in integers: levels are kept scaled by window_micros, and each elapsed µs
// adds `capacity`, so no rounding drifts (in the Redis scripts, exact while capacity * window_µs
// stays under 2^53, e.g. 150 M tokens per minute).
//
// Implementations: LocalCounters (in-process, the default) and RedisCounters (shared by several
// gateways). Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/status.h"

namespace tokenfab::ledger {

// The key of a tenant's counter `kind` ("rpm", "tpm", "conc", ...): "{<tenant>}:<kind>". Every
// key of one tenant carries the same hash tag (the braces), so a store that places keys by tag
// (Redis Cluster) keeps all the keys one admission touches in one slot, and a script over them
// runs there. '%', '{' and '}' in the name are %-escaped, so the tag is always the whole name.
std::string TenantCounterKey(std::string_view tenant, std::string_view kind);

struct BucketSpec {
  std::string key;                     // e.g. TenantCounterKey("acme", "rpm")
  int64_t capacity = 0;                // the most the bucket holds, > 0
  int64_t window_micros = 60'000'000;  // time to refill from empty to full, > 0
};

struct BucketTake {
  BucketSpec bucket;
  int64_t amount = 0;  // >= 0
};

struct TakeResult {
  bool taken = false;
  // When not taken: µs until every bucket could grant its amount (if nothing else takes);
  // -1 when an amount exceeds its bucket's capacity and can never be granted.
  int64_t retry_after_micros = 0;
  // When not taken: the index in `takes` of the bucket that decided retry_after_micros.
  int limiting = -1;
};

class RateCounters {
 public:
  virtual ~RateCounters() = default;

  // Takes every amount from its bucket, or none of them (all-or-nothing across buckets).
  [[nodiscard]] virtual StatusOr<TakeResult> TryTake(std::span<const BucketTake> takes,
                                                     int64_t now_micros) = 0;
  // Takes `delta` more (> 0; the level may go below zero: usage above a reservation is owed) or
  // gives back -delta (< 0; capped at capacity).
  [[nodiscard]] virtual Status Adjust(const BucketSpec& bucket, int64_t delta,
                                      int64_t now_micros) = 0;

  // Concurrency: holds one of at most `limit` slots of `key` under `lease_id` (unique per
  // request). A lease not released within lease_ttl (set by the implementation) lapses, so a
  // gateway that dies does not keep its slots forever. Returns false when all slots are held.
  [[nodiscard]] virtual StatusOr<bool> AcquireSlot(std::string_view key, int64_t limit,
                                                   std::string_view lease_id,
                                                   int64_t now_micros) = 0;
  // Releasing an unknown or lapsed lease is a no-op.
  [[nodiscard]] virtual Status ReleaseSlot(std::string_view key, std::string_view lease_id) = 0;
};

// In-process counters: exact, for one gateway (or `tokenfab serve`).
class LocalCounters final : public RateCounters {
 public:
  explicit LocalCounters(int64_t lease_ttl_micros = 15 * 60'000'000LL)
      : lease_ttl_micros_(lease_ttl_micros) {}

  StatusOr<TakeResult> TryTake(std::span<const BucketTake> takes, int64_t now_micros) override;
  Status Adjust(const BucketSpec& bucket, int64_t delta, int64_t now_micros) override;
  StatusOr<bool> AcquireSlot(std::string_view key, int64_t limit, std::string_view lease_id,
                             int64_t now_micros) override;
  Status ReleaseSlot(std::string_view key, std::string_view lease_id) override;

  // The bucket's level in whole tokens at `now_micros` (rounded down), for tests.
  int64_t Level(const BucketSpec& bucket, int64_t now_micros);

 private:
  struct Bucket {
    int64_t scaled_level;  // tokens * window_micros
    int64_t updated_micros;
  };
  // The bucket refilled up to now (created full).
  Bucket& Refill(const BucketSpec& spec, int64_t now_micros) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int64_t lease_ttl_micros_;
  absl::Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  // key -> lease id -> expiry (µs)
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> slots_
      ABSL_GUARDED_BY(mu_);
};

// Shared arithmetic of the token bucket, used by LocalCounters and mirrored by the Redis script.
// New scaled level after `elapsed_micros` of refill (capped at capacity * window).
int64_t RefillScaled(const BucketSpec& spec, int64_t scaled_level, int64_t elapsed_micros);
// µs until `scaled_level` reaches amount * window, at `capacity` per µs (rounded up).
int64_t MicrosUntil(const BucketSpec& spec, int64_t scaled_level, int64_t amount);

}  // namespace tokenfab::ledger
