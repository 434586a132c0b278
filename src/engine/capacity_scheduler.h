// CapacityScheduler: the first scheduling stage (TensorRT-LLM's name): which requests hold KV
// blocks this step. It keeps the live requests in two queues ordered by priority (larger first),
// then arrival (earlier first):
//   running  prefilling or decoding requests; each holds blocks for all its known tokens
//   waiting  queued or preempted requests; they hold no blocks
// Each step, Schedule():
//   1. walks the running requests in order and grows each one's block table to hold all its
//      tokens (a decode needs one more slot); when the pool runs out it preempts the last
//      running request (lowest priority, latest arrival) by recomputation — its blocks are
//      freed, it goes back to the waiting queue keeping its generated tokens and its place in
//      the order — until the growth fits or the request itself was the one preempted;
//   2. admits waiting requests in order while running slots remain, each with blocks for all its
//      tokens (prompt, plus generated ones after a preemption) after reusing the prefix cache;
//      admission leaves admission_reserve_blocks available while anything runs. A waiting
//      request that does not fit stops admission (strict order: a large request is not starved
//      by smaller ones behind it), unless priority preemption is on and preempting running
//      requests of strictly lower priority would make room, in which case they are preempted.
//      A request preempted in this step is not re-admitted in the same step.
//
// Ownership: does not own the requests (the Scheduler does) nor the KvBlockManager.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "tokenfab/engine/kv_block_manager.h"
#include "tokenfab/engine/scheduled_request.h"
#include "tokenfab/engine/scheduler_config.h"

namespace tokenfab::engine {

struct CapacityDecision {
  std::vector<ScheduledRequest*> running;  // after this step's admissions and preemptions, in order
  std::vector<ScheduledRequest*> admitted;   // moved from waiting to running this step
  std::vector<ScheduledRequest*> preempted;  // moved from running to waiting this step
};

class CapacityScheduler {
 public:
  // Both must outlive this object.
  CapacityScheduler(const SchedulerConfig& config, KvBlockManager& kv);
  CapacityScheduler(const CapacityScheduler&) = delete;
  CapacityScheduler& operator=(const CapacityScheduler&) = delete;

  // Adds a queued request to the waiting queue. REQUIRES: state kQueued, not enqueued.
  void Enqueue(ScheduledRequest* request);
  // Takes a request out of its queue, freeing its blocks when it runs, before it terminates.
  void Remove(ScheduledRequest* request);

  // One step of admission and preemption (see the file comment). Changes request states
  // (queued/preempted -> prefilling, prefilling/decoding -> preempted) and block tables.
  CapacityDecision Schedule(int64_t now_us);

  int32_t num_running() const { return static_cast<int32_t>(running_.size()); }
  int32_t num_waiting() const { return static_cast<int32_t>(waiting_.size()); }
  bool IsQueued(const ScheduledRequest* request) const;  // in either queue

 private:
  // Orders by priority (larger first), then arrival sequence (smaller first): a total order,
  // since arrival sequences are unique.
  struct Order {
    using is_transparent = void;  // lookups by const ScheduledRequest*
    bool operator()(const ScheduledRequest* a, const ScheduledRequest* b) const {
      if (a->priority() != b->priority()) return a->priority() > b->priority();
      return a->arrival_seq() < b->arrival_seq();
    }
  };
  using Queue = std::set<ScheduledRequest*, Order>;

  // running_ as a vector kept in Order: each step walks it whole (GrowRunning, Schedule), which
  // a contiguous copy does far faster than a tree; it holds at most max_running_sequences.
  void InsertRunning(ScheduledRequest* request);
  // Removes `request` from running_; whether it was there.
  bool EraseRunning(const ScheduledRequest* request);
  bool RunningContains(const ScheduledRequest* request) const;

  void GrowRunning(int64_t now_us, CapacityDecision* decision);
  void AdmitWaiting(int64_t now_us, CapacityDecision* decision);
  // Preempts running requests of lower priority than `request`, last first, if together they
  // free at least `blocks_short` blocks. Returns whether it preempted.
  bool PreemptForPriority(const ScheduledRequest* request, int32_t blocks_short, int64_t now_us,
                          CapacityDecision* decision);
  void Preempt(ScheduledRequest* victim, int64_t now_us, CapacityDecision* decision);

  const SchedulerConfig& config_;
  KvBlockManager& kv_;
  std::vector<ScheduledRequest*> running_;  // in Order
  Queue waiting_;
  std::vector<ScheduledRequest*> scratch_;  // running_ in order as GrowRunning began
};

}  // namespace tokenfab::engine
