#include "tokenfab/ledger/failover_counters.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include <fmt/format.h>

#include "tokenfab/base/logging.h"

namespace tokenfab::ledger {
namespace {

int64_t SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

StatusOr<RedisDownPolicy> ParseRedisDownPolicy(std::string_view text) {
  if (text == "fail-closed") return RedisDownPolicy::kFailClosed;
  if (text == "local") return RedisDownPolicy::kLocal;
  return absl::InvalidArgumentError(
      fmt::format("unknown Redis-down policy '{}' (fail-closed or local)", text));
}

FailoverCounters::FailoverCounters(std::unique_ptr<RateCounters> shared, FailoverOptions options)
    : shared_(std::move(shared)), options_(std::move(options)) {}

void FailoverCounters::SetListener(std::function<void(bool up)> listener) {
  absl::MutexLock lock(&listener_mu_);
  listener_ = std::move(listener);
  if (listener_) listener_(up());
}

void FailoverCounters::Notify() {
  absl::MutexLock lock(&listener_mu_);
  if (listener_) listener_(up());
}

bool FailoverCounters::TryShared() {
  if (options_.policy == RedisDownPolicy::kFailClosed || up()) return true;
  const int64_t now = SteadyMicros();
  int64_t next = next_try_micros_.load(std::memory_order_acquire);
  // One caller per interval wins the right to try; the others stay local.
  return now >= next && next_try_micros_.compare_exchange_strong(next, now + options_.retry_micros,
                                                                 std::memory_order_acq_rel);
}

bool FailoverCounters::Settle(const Status& status) {
  const bool reachable = !absl::IsUnavailable(status);
  if (reachable) {
    if (!up_.exchange(true, std::memory_order_acq_rel)) {
      TF_LOG_WARN("Redis answers again: admission counters are shared again");
      Notify();
    }
    return true;
  }
  if (up_.exchange(false, std::memory_order_acq_rel)) {
    next_try_micros_.store(SteadyMicros() + options_.retry_micros, std::memory_order_release);
    if (options_.policy == RedisDownPolicy::kLocal) {
      TF_LOG_ERROR(
          "ALERT Redis unreachable ({}): admission falls back to local limits at 1/{} of "
          "each quota until it answers",
          status.message(), options_.gateway_count);
    } else {
      TF_LOG_ERROR(
          "ALERT Redis unreachable ({}): requests are refused (fail-closed) until it "
          "answers",
          status.message());
    }
    Notify();
  }
  return options_.policy == RedisDownPolicy::kFailClosed;
}

int64_t FailoverCounters::LocalShare(int64_t quota) const {
  return std::max<int64_t>(1, quota / std::max<int64_t>(1, options_.gateway_count));
}

BucketSpec FailoverCounters::LocalBucket(const BucketSpec& bucket) const {
  BucketSpec local = bucket;
  local.capacity = LocalShare(bucket.capacity);
  return local;
}

StatusOr<TakeResult> FailoverCounters::TryTake(std::span<const BucketTake> takes,
                                               int64_t now_micros) {
  if (TryShared()) {
    StatusOr<TakeResult> r = shared_->TryTake(takes, now_micros);
    if (Settle(r.status())) return r;
  }
  std::vector<BucketTake> local;
  local.reserve(takes.size());
  for (const BucketTake& t : takes) local.push_back({LocalBucket(t.bucket), t.amount});
  return local_.TryTake(local, now_micros);
}

Status FailoverCounters::Adjust(const BucketSpec& bucket, int64_t delta, int64_t now_micros) {
  if (TryShared()) {
    Status s = shared_->Adjust(bucket, delta, now_micros);
    if (Settle(s)) return s;
  }
  return local_.Adjust(LocalBucket(bucket), delta, now_micros);
}

StatusOr<bool> FailoverCounters::AcquireSlot(std::string_view key, int64_t limit,
                                             std::string_view lease_id, int64_t now_micros) {
  if (TryShared()) {
    StatusOr<bool> r = shared_->AcquireSlot(key, limit, lease_id, now_micros);
    if (Settle(r.status())) return r;
  }
  return local_.AcquireSlot(key, LocalShare(limit), lease_id, now_micros);
}

Status FailoverCounters::ReleaseSlot(std::string_view key, std::string_view lease_id) {
  // Releasing an unknown lease is a no-op on both sides, so release it on both.
  TF_RETURN_IF_ERROR(local_.ReleaseSlot(key, lease_id));
  if (!TryShared()) return absl::OkStatus();  // Redis's lease lapses by its TTL
  Status s = shared_->ReleaseSlot(key, lease_id);
  if (Settle(s)) return s;
  return absl::OkStatus();
}

}  // namespace tokenfab::ledger
