// Scheduler: the engine's decision logic, step by step. It owns the live requests, the KV block
// manager (with its prefix cache) and the two scheduling stages:
//   capacity stage     which requests hold KV blocks: admission by priority then arrival,
//                      preemption by recomputation when the cache runs out
//                      (capacity_scheduler.h);
//   micro-batch stage  how many tokens each computes this step within the token budget: every
//                      decode first, then prefill chunks (micro_batch_scheduler.h), cut, while
//                      requests with a TPOT SLO decode, to what the step-time model says the
//                      SLO leaves (SchedulerConfig::tpot_slo_us).
// It performs no computation: the engine's loop (or the simulator) runs
//
//   for (;;) {
//     ScheduledBatch batch = scheduler.Schedule();           // decisions only
//     ... runner computes batch; sampler picks a token for each sequence with `logits` ...
//     auto updates = scheduler.Update(batch, results);      // tokens appended, states moved
//     ... stream `updates`; account scheduler.TakeTerminated() ...
//   }
//
// and submits and cancels between steps. Time comes from the injected Clock (a manual one in
// tests and the simulator's virtual one there), so what the simulator predicts is what the code
// does.
//
// Ownership: owns the requests, the KvBlockManager and the stages; the clock and the metrics
// (optional) must outlive it. Not thread-safe: one thread (the engine loop) calls everything.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/engine_metrics.h"
#include "tokenfab/engine/kv_block_manager.h"
#include "tokenfab/engine/scheduled_batch.h"
#include "tokenfab/engine/scheduled_request.h"
#include "tokenfab/engine/scheduler_config.h"

namespace tokenfab::engine {

class CapacityScheduler;
class MicroBatchScheduler;
struct MicroBatchEntry;

class Scheduler {
 public:
  // REQUIRES: config.Validate() is OK (TF_CHECKed). `metrics` may be null.
  Scheduler(const SchedulerConfig& config, base::Clock& clock, EngineMetrics* metrics = nullptr);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request (state kQueued). InvalidArgument for bad sampling parameters, an empty
  // prompt, a negative token id or a prompt that leaves no room to generate within
  // max_context_tokens; AlreadyExists for a live request's id. max_tokens is cut to what the
  // context leaves. Token ids are not checked against the vocabulary: the engine does that.
  [[nodiscard]] Status Submit(RequestSpec spec);

  // Ends a live request now (state kCancelled), freeing its KV blocks at once. NotFound when no
  // live request has the id (it may just have finished). REQUIRES: no batch in flight.
  [[nodiscard]] Status Cancel(RequestId id);
  // Ends a live request as failed (state kFailed), freeing its blocks. NotFound as Cancel.
  // REQUIRES: no batch in flight.
  [[nodiscard]] Status Fail(RequestId id);

  // Plans one step: admissions, preemptions, and the tokens each running request computes.
  // An empty batch means nothing can run (no requests). REQUIRES: the previous batch was
  // passed to Update().
  ScheduledBatch Schedule();

  // Applies the outcome of `batch` (the last Schedule()'s): advances computed tokens, registers
  // newly full blocks in the prefix cache, appends sampled tokens, checks stop conditions (stop
  // token ids, max_tokens, context length, and the engine's stop-string finish) and frees the
  // blocks of finished requests. `results` has one entry per batch.sequences entry.
  // Returns one update per sequence that sampled a token or ended.
  std::vector<RequestUpdate> Update(const ScheduledBatch& batch,
                                    std::span<const SequenceResult> results);

  // Requests that ended (finished, failed, cancelled) since the last call, in the order they
  // ended; the caller now owns them (usage: prompt, cached and generated tokens, times).
  std::vector<std::unique_ptr<ScheduledRequest>> TakeTerminated();

  // A live request, or null.
  const ScheduledRequest* Find(RequestId id) const;
  int32_t num_running() const;
  int32_t num_waiting() const;
  int32_t num_live() const { return static_cast<int32_t>(live_.size()); }
  bool HasWork() const { return !live_.empty(); }
  bool in_flight() const { return in_flight_; }
  uint64_t step() const { return step_; }

  const SchedulerConfig& config() const { return config_; }
  const KvBlockManager& kv() const { return kv_; }

  // Audits requests, queues and KV blocks against each other (O(requests + blocks)); TF_CHECK
  // on any mismatch. For tests and debug builds.
  void CheckInvariants() const;

 private:
  ScheduledRequest* Get(RequestId id);
  // Takes the request out of its queue (freeing blocks) and moves it to a terminal state.
  void Terminate(ScheduledRequest* request, RequestState state, FinishReason reason,
                 int64_t now_us);
  // Applies one sampled token; returns the update to report.
  RequestUpdate ApplyToken(ScheduledRequest* request, const SequenceResult& result, int64_t now_us);
  void PublishGauges();
  // The micro-batch stage's plan for `running`, under the tightest TPOT SLO of its decoding
  // requests when one has an SLO.
  std::vector<MicroBatchEntry> PlanTokens(std::span<ScheduledRequest* const> running) const;

  const SchedulerConfig config_;
  base::Clock& clock_;
  EngineMetrics* const metrics_;
  KvBlockManager kv_;
  std::unique_ptr<CapacityScheduler> capacity_;
  std::unique_ptr<MicroBatchScheduler> micro_batch_;
  absl::flat_hash_map<RequestId, std::unique_ptr<ScheduledRequest>> live_;
  std::vector<std::unique_ptr<ScheduledRequest>> terminated_;
  uint64_t next_arrival_seq_ = 0;
  uint64_t step_ = 0;
  bool in_flight_ = false;
};

}  // namespace tokenfab::engine
