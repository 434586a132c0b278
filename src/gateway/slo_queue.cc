#include "slo_queue.h"

#include <algorithm>
#include <optional>

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
  std::optional<Entry> evicted;
  {
    absl::MutexLock lock(&mu_);
    auto it = per_tenant_.find(waiter.tenant);
    if (it != per_tenant_.end() && it->second >= options_.max_per_tenant) {
      return {SloVerdict::kTenantLimit, 429, retry};
    }
    if (entries_.size() >= options_.max_queued) {
      // Full: the last waiter in the order makes way for one that goes before it (not during a
      // pump, which may be releasing it).
      auto last =
          std::max_element(entries_.begin(), entries_.end(), [&](const Entry& a, const Entry& b) {
            return GoesFirst(a.waiter, a.seq, b.waiter, b.seq, now_us);
          });
      if (pumping_ || last == entries_.end() ||
          !GoesFirst(waiter, next_seq_, last->waiter, last->seq, now_us)) {
        return {SloVerdict::kSaturated, 503, retry};
      }
      evicted.emplace(Entry{last->waiter, last->seq});
      Remove(evicted->seq);
    }
    ++per_tenant_[waiter.tenant];
    entries_.push_back(Entry{std::move(waiter), next_seq_++});
  }
  if (evicted) evicted->waiter.expire(retry);
  return {};
}

int SloQueue::Rank(const SloWaiter& waiter, int64_t now_us) const {
  switch (waiter.band) {
    case WorkBand::kInteractive:
      return 0;
    case WorkBand::kFlex:
      return 2;
    case WorkBand::kBatch:
      return waiter.latest_start_us - now_us < options_.batch_urgent_us ? 1 : 3;
  }
  return 3;
}

bool SloQueue::GoesFirst(const SloWaiter& a, uint64_t a_seq, const SloWaiter& b, uint64_t b_seq,
                         int64_t now_us) const {
  const int rank_a = Rank(a, now_us), rank_b = Rank(b, now_us);
  if (rank_a != rank_b) return rank_a < rank_b;
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.latest_start_us != b.latest_start_us) return a.latest_start_us < b.latest_start_us;
  return a_seq < b_seq;
}

bool SloQueue::AheadOf(const SloWaiter& probe, int64_t now_us) const {
  absl::MutexLock lock(&mu_);
  for (const Entry& e : entries_) {
    if (GoesFirst(e.waiter, e.seq, probe, next_seq_, now_us)) return true;
  }
  return false;
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
  struct Try {
    uint64_t seq;
    int rank;
    std::function<bool(int64_t)> try_release;
  };
  std::vector<Try> tries;
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
    std::sort(order.begin(), order.end(), [&](const Entry* a, const Entry* b) {
      return GoesFirst(a->waiter, a->seq, b->waiter, b->seq, now_us);
    });
    for (const Entry* e : order) {
      tries.push_back({e->seq, Rank(e->waiter, now_us), e->waiter.try_release});
    }
  }
  const int retry = RetryAfterSeconds(drain_us);
  for (Entry& e : expired) e.waiter.expire(retry);
  std::vector<uint64_t> released;
  int stayed_rank = -1;  // the first band in which a waiter stayed
  for (Try& t : tries) {
    if (stayed_rank >= 0 && t.rank > stayed_rank) break;
    if (t.try_release(now_us)) {
      released.push_back(t.seq);
    } else if (stayed_rank < 0) {
      stayed_rank = t.rank;
    }
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
