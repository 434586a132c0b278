#include "timer_queue.h"

#include <pthread.h>

#include "absl/synchronization/mutex.h"

namespace tokenfab::gateway {

TimerQueue::TimerQueue() : thread_([this] { Loop(); }) {
  pthread_setname_np(thread_.native_handle(), "gw-timer");
}

TimerQueue::~TimerQueue() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.SignalAll();
  thread_.join();
}

uint64_t TimerQueue::RunAfter(std::chrono::microseconds delay, std::function<void()> fn) {
  const auto due = std::chrono::steady_clock::now() + delay;
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return 0;
    id = next_id_++;
    queue_.emplace(due, std::make_pair(id, std::move(fn)));
  }
  cv_.Signal();
  return id;
}

bool TimerQueue::Cancel(uint64_t id) {
  absl::MutexLock lock(&mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->second.first == id) {
      queue_.erase(it);
      return true;
    }
  }
  return false;
}

void TimerQueue::Loop() {
  mu_.Lock();
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const auto due = queue_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      cv_.WaitWithTimeout(&mu_, absl::FromChrono(due - std::chrono::steady_clock::now()));
      continue;
    }
    std::function<void()> fn = std::move(queue_.begin()->second.second);
    queue_.erase(queue_.begin());
    mu_.Unlock();
    fn();
    mu_.Lock();
  }
  mu_.Unlock();
}

}  // namespace tokenfab::gateway
