#include "deadline_inserter.h"

#include <utility>

#include <fmt/format.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tokenfab::ledger::internal {

DeadlineInserter::DeadlineInserter(Store& store, std::chrono::milliseconds timeout,
                                   std::function<void()> on_timeout)
    : store_(store), timeout_(timeout), on_timeout_(std::move(on_timeout)) {
  if (timeout_.count() > 0) thread_ = std::thread([this] { Loop(); });
}

DeadlineInserter::~DeadlineInserter() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  changed_.SignalAll();
  if (thread_.joinable()) thread_.join();
}

StatusOr<std::vector<InsertOutcome>> DeadlineInserter::InsertUsage(
    std::span<const UsageEvent> events) {
  if (timeout_.count() <= 0) return store_.InsertUsage(events);
  return InsertUsage(std::make_shared<const std::vector<UsageEvent>>(events.begin(), events.end()));
}

StatusOr<std::vector<InsertOutcome>> DeadlineInserter::InsertUsage(
    std::shared_ptr<const std::vector<UsageEvent>> events) {
  if (timeout_.count() <= 0) return store_.InsertUsage(*events);
  auto call = std::make_shared<Call>();
  call->events = std::move(events);
  {
    absl::MutexLock lock(&mu_);
    if (busy_) {
      return absl::UnavailableError("an earlier store write is still running past its deadline");
    }
    next_ = call;
    busy_ = true;
    changed_.SignalAll();
    const absl::Time deadline = absl::Now() + absl::FromChrono(timeout_);
    while (!call->done && absl::Now() < deadline) changed_.WaitWithDeadline(&mu_, deadline);
    if (call->done) return std::move(call->result);
    ++timeouts_;
  }
  if (on_timeout_) on_timeout_();
  return absl::DeadlineExceededError(
      fmt::format("the store did not answer a usage write within {} ms", timeout_.count()));
}

int64_t DeadlineInserter::timeouts() const {
  absl::MutexLock lock(&mu_);
  return timeouts_;
}

void DeadlineInserter::Loop() {
  while (true) {
    std::shared_ptr<Call> call;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_ && next_ == nullptr) changed_.Wait(&mu_);
      if (next_ == nullptr) return;  // stopping, nothing handed over
      call = std::move(next_);
      next_ = nullptr;
    }
    StatusOr<std::vector<InsertOutcome>> result = store_.InsertUsage(*call->events);
    {
      absl::MutexLock lock(&mu_);
      call->result = std::move(result);
      call->done = true;
      busy_ = false;
    }
    changed_.SignalAll();
  }
}

}  // namespace tokenfab::ledger::internal
