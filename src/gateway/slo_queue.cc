#include "slo_queue.h"

#include <algorithm>

namespace tokenfab::gateway {

int RetryAfterSeconds(int64_t drain_us) {
  if (drain_us <= 0) return 1;
  return static_cast<int>(std::max<int64_t>(1, (drain_us + 999'999) / 1'000'000));
}

SloOffer SloQueue::Offer(SloWaiter waiter, int64_t now_us, int64_t drain_us) {
  const int retry = RetryAfterSeconds(drain_us);
  if (now_us + std::max<int64_t>(drain_us, 0) > waiter.latest_start_us) {
    return {SloVerdict::kSaturated, 503, retry};
  }
  absl::MutexLock lock(&mu_);
  auto it = per_tenant_.find(waiter.tenant);
  if (it != per_tenant_.end() && it->second >= options_.max_per_tenant) {
    return {SloVerdict::kTenantLimit, 429, retry};
  }
  if (entries_.size() >= options_.max_queued) return {SloVerdict::kSaturated, 503, retry};
  ++per_tenant_[waiter.tenant];
  entries_.push_back(Entry{std::move(waiter), next_seq_++});
  return {};
}

void SloQueue::Remove(uint64_t seq) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [seq](const Entry& e) { return e.seq == seq; });
  if (it == entries_.end()) return;
  auto tenant = per_tenant_.find(it->waiter.tenant);
  if (tenant != per_tenant_.end() && --tenant->second == 0) per_tenant_.erase(tenant);
  entries_.erase(it);
}

size_t SloQueue::Pump(int64_t now_us, int64_t drain_us) {
  std::vector<Entry> expired;
  std::vector<std::pair<uint64_t, std::function<bool(int64_t)>>> tries;
  {
    absl::MutexLock lock(&mu_);
    if (pumping_) return 0;
    pumping_ = true;
    std::vector<uint64_t> gone;
    for (Entry& e : entries_) {
      if (now_us > e.waiter.latest_start_us) {
        expired.push_back(Entry{std::move(e.waiter), e.seq});
        gone.push_back(e.seq);
      }
    }
    for (uint64_t seq : gone) Remove(seq);
    std::vector<const Entry*> order;
    for (const Entry& e : entries_) order.push_back(&e);
    std::sort(order.begin(), order.end(), [](const Entry* a, const Entry* b) {
      if (a->waiter.priority != b->waiter.priority) return a->waiter.priority > b->waiter.priority;
      if (a->waiter.latest_start_us != b->waiter.latest_start_us) {
        return a->waiter.latest_start_us < b->waiter.latest_start_us;
      }
      return a->seq < b->seq;
    });
    for (const Entry* e : order) tries.emplace_back(e->seq, e->waiter.try_release);
  }
  const int retry = RetryAfterSeconds(drain_us);
  for (Entry& e : expired) e.waiter.expire(retry);
  std::vector<uint64_t> released;
  for (auto& [seq, try_release] : tries) {
    if (try_release(now_us)) released.push_back(seq);
  }
  absl::MutexLock lock(&mu_);
  for (uint64_t seq : released) Remove(seq);
  pumping_ = false;
  return expired.size() + released.size();
}

size_t SloQueue::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

size_t SloQueue::queued_for(const std::string& tenant) const {
  absl::MutexLock lock(&mu_);
  auto it = per_tenant_.find(tenant);
  return it == per_tenant_.end() ? 0 : it->second;
}

}  // namespace tokenfab::gateway
