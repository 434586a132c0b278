#include "engine/request_channel.h"

#include <utility>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"

namespace tokenfab::engine::internal {

void RequestChannel::Deliver(std::vector<EngineEvent>* events) {
  if (events->empty()) return;
  bool notify = false;
  {
    absl::MutexLock lock(&mu_);
    TF_CHECK(!finished_) << "events delivered to request " << id_ << " after its end";
    notify = queue_.empty();
    for (EngineEvent& event : *events) {
      TF_CHECK(!finished_) << "request " << id_ << ": an event after the finished event";
      finished_ = event.finished();
      queue_.push_back(std::move(event));
    }
  }
  events->clear();
  cv_.SignalAll();
  if (notify && on_events_) on_events_();
}

size_t RequestChannel::Poll(std::vector<EngineEvent>* events) {
  absl::MutexLock lock(&mu_);
  const size_t n = queue_.size();
  for (EngineEvent& event : queue_) {
    if (event.finished()) done_ = true;
    events->push_back(std::move(event));
  }
  queue_.clear();
  return n;
}

EngineEvent RequestChannel::Next() {
  absl::MutexLock lock(&mu_);
  TF_CHECK(!done_) << "Next() on request " << id_ << " after its finished event";
  while (queue_.empty()) cv_.Wait(&mu_);
  EngineEvent event = std::move(queue_.front());
  queue_.pop_front();
  if (event.finished()) done_ = true;
  return event;
}

std::vector<EngineEvent> RequestChannel::Wait() {
  absl::MutexLock lock(&mu_);
  while (!finished_) cv_.Wait(&mu_);
  std::vector<EngineEvent> events;
  events.reserve(queue_.size());
  for (EngineEvent& event : queue_) events.push_back(std::move(event));
  queue_.clear();
  done_ = true;
  return events;
}

bool RequestChannel::done() const {
  absl::MutexLock lock(&mu_);
  return done_;
}

bool RequestChannel::finished() const {
  absl::MutexLock lock(&mu_);
  return finished_;
}

void RequestChannel::Cancel() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_ || cancel_requested_) return;
    cancel_requested_ = true;
  }
  inbox_->PushCancel(id_);
}

bool RequestChannel::cancel_requested() const {
  absl::MutexLock lock(&mu_);
  return cancel_requested_;
}

}  // namespace tokenfab::engine::internal
