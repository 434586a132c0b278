// UsageRecorder: group commit of usage events.
//
// Many threads hand it events; one writer thread takes whatever has queued up (at most
// max_batch) and writes it in ONE store transaction, then runs each event's callback. A callback
// therefore runs only once its event is durable (or has failed), which is what lets the gateway
// hold back a response's last chunk until the request is in the ledger: kill -9 at any moment
// loses no response a client finished.
//
// Batching needs no timer: while one transaction commits (an fsync, ~ms), the next events queue
// up and go together in the next one, so batches grow with load by themselves and a lone event
// is written at once.
//
// Idempotent: an event whose request id is already recorded (a retry) completes with
// kDuplicate and changes nothing.
// Backpressure: at most queue_capacity events wait; Record() blocks while the queue is full,
// TryRecord() refuses instead (ResourceExhausted) so an event loop never blocks.
// A failed transaction fails every callback of its batch with the store's error; nothing of that
// batch was written, and the caller must not acknowledge those requests.
//
// Spool (options.spool, ledger/usage_spool.h): when a transaction fails, the recorder enters an
// outage (logged): that batch and every later one go to the local spool, and complete with
// kSpooled once fsync'd there; a replayer thread delivers the spool to the store every
// replay_interval (backing off to max_replay_interval while the store is away) and ends the
// outage (logged) when a delivery succeeds. At start it delivers what an earlier process left.
// Without a spool, or when the spool is full, a failed batch fails its callbacks as above.
//
// Deadline (options.write_timeout): a store write that has not answered by then counts as failed
// (a store that hangs rather than fails: a stopped server, a held lock): its batch is spooled and
// the outage begins, so answers never wait on a hung store for longer. The hung write may still
// commit when it returns; the replay of the spooled batch then records nothing twice (the store
// ignores a request id it already holds). Without a spool such a batch fails its callbacks though
// it may later commit. While the hung write has not returned, later writes fail at once.
//
// Thread-safety: Record/TryRecord/stats from any thread. Callbacks run on the writer thread and
// must be quick (post to the caller's executor). The store and clock must outlive the recorder.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/usage_spool.h"

namespace tokenfab::ledger {

namespace internal {
class DeadlineInserter;
}

struct UsageRecorderOptions {
  size_t max_batch = 512;          // events per transaction at most
  size_t queue_capacity = 16'384;  // events waiting at most
  UsageSpool* spool = nullptr;     // where events go while the store is away; null: nowhere
  std::chrono::milliseconds replay_interval{200};
  std::chrono::milliseconds max_replay_interval{5'000};
  // Called on the writer thread with the count of each batch made durable in the spool instead
  // of the store (what a monotonic "spooled" counter adds). May be empty.
  std::function<void(int64_t events)> on_spooled{};
  // A store write (the writer's or the replayer's) unanswered this long fails; 0: no deadline.
  std::chrono::milliseconds write_timeout{5'000};
  // Called on the writer's or the replayer's thread each time a store write passes
  // write_timeout (what a monotonic "write timeouts" counter adds). May be empty.
  std::function<void()> on_write_timeout{};
};

using RecordCallback = std::function<void(StatusOr<InsertOutcome>)>;

class UsageRecorder {
 public:
  struct Stats {
    int64_t batches = 0;  // transactions committed or failed
    int64_t events = 0;   // events written (inserted or duplicate)
    int64_t duplicates = 0;
    int64_t failed = 0;  // events whose transaction failed
    int64_t largest_batch = 0;
    int64_t spooled = 0;              // events made durable in the spool instead of the store
    int64_t outages = 0;              // outages begun
    int64_t write_timeouts = 0;       // store writes that passed options.write_timeout
    bool outage = false;              // the store is away now: events go to the spool
    int64_t outage_since_micros = 0;  // wall clock when the current outage began
  };

  // Starts the writer thread. REQUIRES: options.max_batch >= 1, options.queue_capacity >= 1.
  UsageRecorder(Store& store, base::Clock& clock, UsageRecorderOptions options = {});
  // Shutdown(). Waits for a store write still running past its deadline.
  ~UsageRecorder();
  UsageRecorder(const UsageRecorder&) = delete;
  UsageRecorder& operator=(const UsageRecorder&) = delete;

  // Queues `event` (its recorded_micros is set when written); `done` runs once its batch
  // committed or failed. Blocks while the queue is full. Errors (done is then never called):
  // InvalidArgument for an invalid event, FailedPrecondition after Shutdown().
  [[nodiscard]] Status Record(UsageEvent event, RecordCallback done);
  // Like Record but ResourceExhausted instead of blocking when the queue is full.
  [[nodiscard]] Status TryRecord(UsageEvent event, RecordCallback done);
  // Record() with a future; a refused event gives a ready future holding the error.
  std::future<StatusOr<InsertOutcome>> Record(UsageEvent event);

  // Stops accepting events, writes every queued one, runs their callbacks and joins the writer.
  // Idempotent.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

  Stats stats() const ABSL_LOCKS_EXCLUDED(mu_);
  // True while the store is away and the spool refuses more events: requests should be refused
  // (503) rather than served unbilled.
  bool Refusing() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Pending {
    UsageEvent event;
    RecordCallback done;
  };

  Status Enqueue(UsageEvent event, RecordCallback done, bool block) ABSL_LOCKS_EXCLUDED(mu_);
  void WriterLoop();
  void WriteBatch(std::vector<Pending>& batch);
  // The batch's events into the spool: kSpooled outcomes, or the spool's error.
  StatusOr<std::vector<InsertOutcome>> Spool(std::vector<UsageEvent> events,
                                             const Status& store_error);
  void ReplayLoop();
  void BeginOutage(const Status& cause) ABSL_LOCKS_EXCLUDED(mu_);
  void EndOutage() ABSL_LOCKS_EXCLUDED(mu_);

  base::Clock& clock_;
  const UsageRecorderOptions options_;

  mutable absl::Mutex mu_;
  absl::CondVar has_work_;   // writer waits: queue non-empty or stopping
  absl::CondVar has_space_;  // producers wait: queue below capacity or stopping
  absl::CondVar stop_;       // the replayer waits between deliveries: stopping
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  // The writer's and the replayer's store writes, each with the deadline.
  std::unique_ptr<internal::DeadlineInserter> writer_store_;
  std::unique_ptr<internal::DeadlineInserter> replayer_store_;
  std::thread writer_;
  std::thread replayer_;  // only with a spool
};

}  // namespace tokenfab::ledger
