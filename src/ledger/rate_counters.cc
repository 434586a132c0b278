#include "tokenfab/ledger/rate_counters.h"

#include <algorithm>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"

namespace tokenfab::ledger {

std::string TenantCounterKey(std::string_view tenant, std::string_view kind) {
  std::string key = "{";
  for (char c : tenant) {
    switch (c) {
      case '%':
        key += "%25";
        break;
      case '{':
        key += "%7B";
        break;
      case '}':
        key += "%7D";
        break;
      default:
        key += c;
    }
  }
  key += "}:";
  key += kind;
  return key;
}

int64_t RefillScaled(const BucketSpec& spec, int64_t scaled_level, int64_t elapsed_micros) {
  const int64_t full = spec.capacity * spec.window_micros;
  if (scaled_level >= full) return scaled_level > full ? full : scaled_level;
  // Clamp elapsed so that the product cannot overflow: one window refills anything.
  const int64_t elapsed = std::clamp<int64_t>(elapsed_micros, 0, spec.window_micros);
  return std::min(full, scaled_level + elapsed * spec.capacity);
}

int64_t MicrosUntil(const BucketSpec& spec, int64_t scaled_level, int64_t amount) {
  const int64_t missing = amount * spec.window_micros - scaled_level;
  if (missing <= 0) return 0;
  return (missing + spec.capacity - 1) / spec.capacity;
}

LocalCounters::Bucket& LocalCounters::Refill(const BucketSpec& spec, int64_t now_micros) {
  TF_CHECK(spec.capacity > 0 && spec.window_micros > 0) << spec.key;
  auto [it, inserted] =
      buckets_.try_emplace(spec.key, Bucket{spec.capacity * spec.window_micros, now_micros});
  Bucket& b = it->second;
  if (!inserted) {
    b.scaled_level = RefillScaled(spec, b.scaled_level, now_micros - b.updated_micros);
    b.updated_micros = std::max(b.updated_micros, now_micros);
  }
  return b;
}

StatusOr<TakeResult> LocalCounters::TryTake(std::span<const BucketTake> takes, int64_t now_micros) {
  absl::MutexLock lock(&mu_);
  TakeResult result{true, 0, -1};
  for (size_t i = 0; i < takes.size(); ++i) {
    const BucketTake& take = takes[i];
    if (take.amount > take.bucket.capacity) return TakeResult{false, -1, static_cast<int>(i)};
    Bucket& b = Refill(take.bucket, now_micros);
    const int64_t wait = MicrosUntil(take.bucket, b.scaled_level, take.amount);
    if (wait > result.retry_after_micros) {
      result.taken = false;
      result.retry_after_micros = wait;
      result.limiting = static_cast<int>(i);
    }
  }
  if (!result.taken) return result;
  for (const BucketTake& take : takes) {
    buckets_.at(take.bucket.key).scaled_level -= take.amount * take.bucket.window_micros;
  }
  return result;
}

Status LocalCounters::Adjust(const BucketSpec& bucket, int64_t delta, int64_t now_micros) {
  absl::MutexLock lock(&mu_);
  Bucket& b = Refill(bucket, now_micros);
  b.scaled_level = std::min(b.scaled_level - delta * bucket.window_micros,
                            bucket.capacity * bucket.window_micros);
  return absl::OkStatus();
}

int64_t LocalCounters::Level(const BucketSpec& bucket, int64_t now_micros) {
  absl::MutexLock lock(&mu_);
  const int64_t scaled = Refill(bucket, now_micros).scaled_level;
  // Floor division (levels may be negative).
  return scaled >= 0 ? scaled / bucket.window_micros
                     : -((-scaled + bucket.window_micros - 1) / bucket.window_micros);
}

StatusOr<bool> LocalCounters::AcquireSlot(std::string_view key, int64_t limit,
                                          std::string_view lease_id, int64_t now_micros) {
  absl::MutexLock lock(&mu_);
  auto& leases = slots_[std::string(key)];
  std::erase_if(leases, [&](const auto& lease) { return lease.second <= now_micros; });
  if (static_cast<int64_t>(leases.size()) >= limit) return false;
  leases[std::string(lease_id)] = now_micros + lease_ttl_micros_;
  return true;
}

Status LocalCounters::ReleaseSlot(std::string_view key, std::string_view lease_id) {
  absl::MutexLock lock(&mu_);
  auto it = slots_.find(std::string(key));
  if (it != slots_.end()) {
    it->second.erase(std::string(lease_id));
    if (it->second.empty()) slots_.erase(it);
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::ledger
