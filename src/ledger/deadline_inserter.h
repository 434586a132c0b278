// DeadlineInserter: a store's usage write with a deadline. InsertUsage() runs the store's
// InsertUsage on this object's own thread and waits for it at most `timeout`, so a store that
// hangs rather than fails (a stopped database server, a held lock, a network that drops packets
// without a reset) fails the call with DeadlineExceeded instead of blocking the caller.
//
// The hung call keeps running on the inserter's thread and its result is dropped; until it
// returns, every later call fails at once (Unavailable) rather than queue behind it. A call past
// its deadline may still commit when it returns, so a caller may only treat the failure as "not
// known to be written": the events must be written again later (a spool's replay), which records
// them once because the store ignores a request id it already holds.
//
// timeout 0: no deadline; the store is called on the caller's thread. `on_timeout` (may be empty)
// runs on the caller's thread, without the inserter's lock, each time a call passes its deadline.
// Internal to the ledger layer.
//
// Thread-safety: InsertUsage from one thread at a time. The destructor waits for a call that is
// still running (the store must outlive the inserter).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger::internal {

class DeadlineInserter {
 public:
  DeadlineInserter(Store& store, std::chrono::milliseconds timeout,
                   std::function<void()> on_timeout = {});
  ~DeadlineInserter();
  DeadlineInserter(const DeadlineInserter&) = delete;
  DeadlineInserter& operator=(const DeadlineInserter&) = delete;

  // The store's outcomes for `events`, or its error, DeadlineExceeded past the deadline, or
  // Unavailable while an earlier call that passed its deadline is still running.
  StatusOr<std::vector<InsertOutcome>> InsertUsage(
      std::shared_ptr<const std::vector<UsageEvent>> events) ABSL_LOCKS_EXCLUDED(mu_);
  // The same for events the caller keeps (they are copied when there is a deadline).
  StatusOr<std::vector<InsertOutcome>> InsertUsage(std::span<const UsageEvent> events)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Calls that passed their deadline since construction.
  int64_t timeouts() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Call {
    std::shared_ptr<const std::vector<UsageEvent>> events;
    StatusOr<std::vector<InsertOutcome>> result{absl::UnknownError("not run")};
    bool done = false;
  };

  void Loop();

  Store& store_;
  const std::chrono::milliseconds timeout_;
  const std::function<void()> on_timeout_;

  mutable absl::Mutex mu_;
  absl::CondVar changed_;
  std::shared_ptr<Call> next_ ABSL_GUARDED_BY(mu_);  // handed to the thread, not yet taken
  bool busy_ ABSL_GUARDED_BY(mu_) = false;           // a call is handed over or running
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t timeouts_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;  // only with a deadline
};

}  // namespace tokenfab::ledger::internal
