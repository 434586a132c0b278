// SloQueue: the gateway's one SLO-first queue of work that cannot go out yet, shared by the three
// bands: interactive requests no upstream is predicted to serve within their tier's TTFT SLO
// right now, flex requests waiting for the valley gate's room (valley_gate.h), and the batch
// runner's lines (which wait in the runner's store, and ask AheadOf() before taking room). Rather
// than being sent to miss, a request waits here and is released as capacity frees; or it is
// refused, in OpenAI's error shape, with a Retry-After computed from the predicted drain (the
// time until the fleet's queues have drained enough).
//
// The order (SloQueue::GoesFirst): the band first, interactive, then a batch near its deadline
// (less than SloQueueOptions::batch_urgent_us before its latest start), then flex, then batch;
// within a band tier priority (higher first), then deadline (earlier first), then arrival. A
// waiting interactive request always goes before flex and batch work: on a pump, once a waiter
// stays (no room for it), the waiters of later bands are not asked.
//
//   on Offer    the deadline cannot be met (now + drain > latest start)  -> 503 fleet saturated
//               the tenant already has max_per_tenant requests waiting   -> 429 tenant limit
//               the queue holds max_queued requests                      -> 503 fleet saturated,
//                 unless the request goes before the last waiter in the order: that one
//                 expires (so flex work never crowds out an interactive request)
//               otherwise                                                 -> queued
//   on Pump     each waiter, best first, is asked to try again (it re-predicts with the fleet's
//               state now and dispatches itself when an upstream is predicted to meet its SLO);
//               a waiter whose latest start has passed expires (its owner answers 503).
//
// Time is passed in (monotonic µs), so tables of offers and pumps run on a manual clock.
// Thread-safe: callbacks run outside the lock, on the caller of Pump().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace tokenfab::gateway {

struct SloQueueOptions {
  size_t max_queued = 1024;                 // requests waiting in all
  size_t max_per_tenant = 64;               // requests of one tenant waiting
  int64_t batch_urgent_us = 3'600'000'000;  // a batch this close to its deadline goes before flex
};

// The kinds of work the queue orders.
enum class WorkBand { kInteractive, kFlex, kBatch };

// One waiting request. Plain data with callbacks.
struct SloWaiter {
  std::string tenant;
  WorkBand band = WorkBand::kInteractive;
  int32_t priority = 0;         // the tier's; higher first
  int64_t latest_start_us = 0;  // monotonic: dispatched later, it cannot meet its TTFT SLO
  // Called by Pump: true when the request left the queue (dispatched, or its client went away).
  std::function<bool(int64_t now_us)> try_release;
  // Called once when it expires; `retry_after_s` for the 503.
  std::function<void(int retry_after_s)> expire;
};

enum class SloVerdict { kQueued, kTenantLimit, kSaturated };

// Plain data.
struct SloOffer {
  SloVerdict verdict = SloVerdict::kQueued;
  int http_status = 0;    // 429 (kTenantLimit) or 503 (kSaturated); 0 when queued
  int retry_after_s = 0;  // for a refusal
};

// Seconds a client should wait for `drain_us` to pass: ceil, at least 1.
int RetryAfterSeconds(int64_t drain_us);

class SloQueue {
 public:
  explicit SloQueue(SloQueueOptions options = {}) : options_(options) {}

  // `drain_us`: the predicted time until some upstream could meet the request's SLO.
  SloOffer Offer(SloWaiter waiter, int64_t now_us, int64_t drain_us) ABSL_LOCKS_EXCLUDED(mu_);

  // Expires the waiters past their latest start (Retry-After from `drain_us`, the predicted
  // drain now), then lets the others try again, best first. Returns how many left the queue.
  size_t Pump(int64_t now_us, int64_t drain_us) ABSL_LOCKS_EXCLUDED(mu_);

  // Whether `a` (arrived as `a_seq`) goes before `b` (`b_seq`) at `now_us`: the queue's order.
  bool GoesFirst(const SloWaiter& a, uint64_t a_seq, const SloWaiter& b, uint64_t b_seq,
                 int64_t now_us) const;

  // Whether some waiter goes before `probe` (a request not in the queue: a batch line about to
  // take room, say) at `now_us`.
  bool AheadOf(const SloWaiter& probe, int64_t now_us) const ABSL_LOCKS_EXCLUDED(mu_);

  size_t size() const ABSL_LOCKS_EXCLUDED(mu_);
  size_t queued_for(const std::string& tenant) const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Entry {
    SloWaiter waiter;
    uint64_t seq = 0;  // arrival order: the last tie-break
  };
  void Remove(uint64_t seq) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The band's place in the order at `now_us` (0 first): an urgent batch ranks before flex.
  int Rank(const SloWaiter& waiter, int64_t now_us) const;

  const SloQueueOptions options_;
  mutable absl::Mutex mu_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> per_tenant_ ABSL_GUARDED_BY(mu_);
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 0;
  bool pumping_ ABSL_GUARDED_BY(mu_) = false;  // one Pump at a time
};

}  // namespace tokenfab::gateway
