#include "engine/engine_inbox.h"

#include <string>
#include <utility>

#include <fmt/format.h>

#include "absl/strings/cord.h"

namespace tokenfab::engine::internal {

Status EngineInbox::PushSubmit(Submission submission) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return absl::UnavailableError("the engine is shutting down");
    const int64_t waiting = engine_waiting_ + static_cast<int64_t>(submissions_.size());
    if (waiting >= max_waiting_) {
      Status status = absl::ResourceExhaustedError(fmt::format(
          "the engine's waiting queue is full ({} requests); retry in about {} ms", waiting,
          retry_after_ms_));
      status.SetPayload(kRetryAfterPayload, absl::Cord(std::to_string(retry_after_ms_)));
      return status;
    }
    submissions_.push_back(std::move(submission));
  }
  cv_.notify_one();
  return absl::OkStatus();
}

void EngineInbox::PushCancel(RequestId id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return;
    cancels_.push_back(id);
  }
  cv_.notify_one();
}

void EngineInbox::Take(std::vector<Submission>* submissions, std::vector<RequestId>* cancels) {
  std::lock_guard<std::mutex> lock(mu_);
  engine_waiting_ += static_cast<int32_t>(submissions_.size());
  for (Submission& s : submissions_) submissions->push_back(std::move(s));
  submissions_.clear();
  cancels->insert(cancels->end(), cancels_.begin(), cancels_.end());
  cancels_.clear();
}

void EngineInbox::WaitForWork() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return closed_ || !submissions_.empty() || !cancels_.empty(); });
}

void EngineInbox::SetEngineWaiting(int32_t waiting, int64_t retry_after_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  engine_waiting_ = waiting;
  retry_after_ms_ = retry_after_ms;
}

void EngineInbox::Close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool EngineInbox::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

}  // namespace tokenfab::engine::internal
