// FailoverCounters: shared counters (Redis) with a per-deployment choice for when they cannot be
// reached.
//
// - kFailClosed: every call goes to the shared counters and their Unavailable error is returned
//   (the gateway answers 503): no request is admitted that the shared limits did not see.
// - kLocal: on an Unavailable error the call is answered by in-process counters holding 1/N of
//   each quota (N = the configured number of gateways, so the fleet as a whole stays within the
//   limits while each gateway counts alone; at least 1 of each), with an error logged once per
//   outage. While down, one call every `retry_micros` tries the shared counters again; the
//   first that succeeds ends the outage (logged), and every call goes back to them.
//
// Either way each change of state is reported to the listener (true: shared counters answer),
// which the gateway turns into tokenfab_gateway_redis_up. What was counted locally during an outage
// is not carried over to Redis when it returns (nor the reverse): across the switch a tenant may
// get up to its local share more. Concurrency leases taken on one side are released on that side; a
// lease Redis holds while it is unreachable lapses by its TTL.
//
// Thread-safety: all methods from any thread; the listener is called under an internal lock, from
// the thread whose call changed the state (it must be quick and not call back).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/rate_counters.h"

namespace tokenfab::ledger {

enum class RedisDownPolicy { kFailClosed, kLocal };
// "fail-closed" or "local".
[[nodiscard]] StatusOr<RedisDownPolicy> ParseRedisDownPolicy(std::string_view text);

struct FailoverOptions {
  RedisDownPolicy policy = RedisDownPolicy::kFailClosed;
  int64_t gateway_count = 1;         // N >= 1: local limits are 1/N of each quota
  int64_t retry_micros = 1'000'000;  // while down: how often a call tries Redis again
};

class FailoverCounters final : public RateCounters {
 public:
  FailoverCounters(std::unique_ptr<RateCounters> shared, FailoverOptions options);

  StatusOr<TakeResult> TryTake(std::span<const BucketTake> takes, int64_t now_micros) override;
  Status Adjust(const BucketSpec& bucket, int64_t delta, int64_t now_micros) override;
  StatusOr<bool> AcquireSlot(std::string_view key, int64_t limit, std::string_view lease_id,
                             int64_t now_micros) override;
  Status ReleaseSlot(std::string_view key, std::string_view lease_id) override;

  // Whether the shared counters answered the last call that tried them.
  bool up() const { return up_.load(std::memory_order_acquire); }
  // Replaces the listener and calls it once with the current state.
  void SetListener(std::function<void(bool up)> listener) ABSL_LOCKS_EXCLUDED(listener_mu_);

 private:
  // Whether this call should try the shared counters: always while up or failing closed; while
  // down, one call per retry_micros.
  bool TryShared();
  // Records the outcome of a call to the shared counters: true when `status` is final (OK or
  // an error other than Unavailable), false when the call should fall back.
  bool Settle(const Status& status);
  void Notify() ABSL_LOCKS_EXCLUDED(listener_mu_);
  int64_t LocalShare(int64_t quota) const;
  BucketSpec LocalBucket(const BucketSpec& bucket) const;

  const std::unique_ptr<RateCounters> shared_;
  const FailoverOptions options_;
  LocalCounters local_;
  std::atomic<bool> up_{true};
  std::atomic<int64_t> next_try_micros_{0};  // steady clock
  absl::Mutex listener_mu_;
  std::function<void(bool up)> listener_ ABSL_GUARDED_BY(listener_mu_);
};

}  // namespace tokenfab::ledger
