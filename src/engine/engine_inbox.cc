#include "engine/engine_inbox.h"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "absl/strings/cord.h"
#include "absl/synchronization/mutex.h"

namespace tokenfab::engine::internal {

Status EngineInbox::PushSubmit(Submission submission) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return absl::UnavailableError("the engine is shutting down");
    const int64_t waiting = engine_waiting_ + static_cast<int64_t>(submissions_.size());
    if (waiting >= max_waiting_) {
      Status status = absl::ResourceExhaustedError(
          fmt::format("the engine's waiting queue is full ({} requests); retry in about {} ms",
                      waiting, retry_after_ms_));
      status.SetPayload(kRetryAfterPayload, absl::Cord(std::to_string(retry_after_ms_)));
      return status;
    }
    submissions_.push_back(std::move(submission));
  }
  cv_.Signal();
  return absl::OkStatus();
}

void EngineInbox::PushCancel(RequestId id) {
  {
    absl::MutexLock lock(&mu_);
    if (closed_) return;
    cancels_.push_back(id);
  }
  cv_.Signal();
}

void EngineInbox::Take(std::vector<Submission>* submissions, std::vector<RequestId>* cancels) {
  absl::MutexLock lock(&mu_);
  engine_waiting_ += static_cast<int32_t>(submissions_.size());
  for (Submission& s : submissions_) submissions->push_back(std::move(s));
  submissions_.clear();
  cancels->insert(cancels->end(), cancels_.begin(), cancels_.end());
  cancels_.clear();
}

void EngineInbox::WaitForWork() {
  absl::MutexLock lock(&mu_);
  while (!closed_ && submissions_.empty() && cancels_.empty()) cv_.Wait(&mu_);
}

void EngineInbox::SetEngineWaiting(int32_t waiting, int64_t retry_after_ms) {
  absl::MutexLock lock(&mu_);
  engine_waiting_ = waiting;
  retry_after_ms_ = retry_after_ms;
}

void EngineInbox::Close() {
  {
    absl::MutexLock lock(&mu_);
    closed_ = true;
  }
  cv_.SignalAll();
}

bool EngineInbox::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

}  // namespace tokenfab::engine::internal
