// EngineLoop: the engine thread's side of the Engine (engine.h): the scheduler, the executor,
// the per-request decoding state (sampler, streaming detokenizer, stop matcher, event outbox),
// and the loop that turns scheduled steps into delivered events. Internal to the engine.
//
// Ownership: owns the scheduler, the executor and the live requests' state; shares the inbox
// with the request channels; borrows the tokenizer, the clock and the metrics.
// Thread-safety: Load() and inbox() from any thread; everything else from one thread at a time:
// the loop's own thread once Start()ed, the owner's otherwise.
#pragma once

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "engine/engine_inbox.h"
#include "engine/rate_tracker.h"
#include "engine/request_channel.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/engine/engine.h"
#include "tokenfab/engine/sampler.h"
#include "tokenfab/engine/scheduler.h"
#include "tokenfab/engine/stop_matcher.h"
#include "tokenfab/tokenizer/streaming_detokenizer.h"

namespace tokenfab::engine::internal {

class EngineLoop {
 public:
  EngineLoop(const EngineOptions& options, std::unique_ptr<Executor> executor,
             const tokenizer::Tokenizer& tokenizer, base::Clock& clock, EngineMetrics* metrics);
  ~EngineLoop();
  EngineLoop(const EngineLoop&) = delete;
  EngineLoop& operator=(const EngineLoop&) = delete;

  const std::shared_ptr<EngineInbox>& inbox() const { return inbox_; }
  const Executor& executor() const { return *executor_; }
  const Scheduler& scheduler() const { return scheduler_; }
  std::shared_ptr<const EngineLoad> Load() const;

  void Start();
  bool started() const { return thread_.joinable(); }
  // Takes the inbox and runs one step when a request can run; false when none ran.
  bool RunOnce();
  // Closes the inbox, ends every request, joins the thread. Idempotent.
  void Shutdown();

 private:
  // The decoding state of one live request.
  struct Live {
    Live(const Submission& submission, const tokenizer::Tokenizer& tokenizer);
    std::shared_ptr<RequestChannel> channel;
    Sampler sampler;
    tokenizer::StreamingDetokenizer detokenizer;
    StopMatcher stops;
    uint64_t seed;
    Status error;                     // why it failed, when it did
    std::string step_text;            // text released by this step's token
    std::vector<EngineEvent> outbox;  // events of this step, delivered at its end
  };

  void ThreadMain();
  // Takes submissions (into the scheduler) and cancellations (ended at once).
  void TakeInbox();
  // Ends every live request (shutdown).
  void CancelAll();
  bool Step();
  // Runs the executor on `batch` and turns its output into the scheduler's results.
  void Execute(const ScheduledBatch& batch);
  // Detokenizes and matches stop strings for a sampled token; the result for Update().
  SequenceResult Consume(Live& live, const ScheduledRequest& request,
                         const ExecutorResult& executed);
  void QueueTokenEvent(Live& live, const RequestUpdate& update, const ExecutorResult& executed);
  // Queues the kFinished events of the requests the scheduler ended and forgets them (their
  // state lives on in ended_ until delivered).
  void FinishTerminated();
  // Delivers the queued events of this step.
  void DeliverTouched();
  void PublishLoad();
  // Estimated wait before a request submitted now starts computing (ms), given the rest of
  // `load`.
  // Also fills the queue-as-tokens fields of `load`.
  double QueueDelayMs(EngineLoad& load) const;

  const EngineOptions options_;
  const tokenizer::Tokenizer& tokenizer_;
  base::Clock& clock_;
  std::unique_ptr<Executor> executor_;
  Scheduler scheduler_;
  std::shared_ptr<EngineInbox> inbox_;
  absl::flat_hash_map<RequestId, std::unique_ptr<Live>> live_;
  RateTracker rates_;

  // Scratch reused across steps.
  std::vector<Submission> taken_;
  std::vector<RequestId> cancels_;
  std::vector<ExecutorSequence> exec_sequences_;
  std::vector<ExecutorResult> exec_results_;
  std::vector<SequenceResult> results_;
  std::vector<Live*> touched_;                // requests with events to deliver
  std::vector<std::unique_ptr<Live>> ended_;  // ended this step, delivered with touched_

  std::vector<BlockHash> hashes_;  // the last reported block hashes
  int64_t hashes_refreshed_us_ = -1;
  bool shutting_down_ = false;

  mutable absl::Mutex load_mu_;
  std::shared_ptr<const EngineLoad> load_ ABSL_GUARDED_BY(load_mu_);

  std::thread thread_;
};

}  // namespace tokenfab::engine::internal
