#include "timer_queue.h"

#include <pthread.h>

#include "absl/synchronization/mutex.h"

namespace tokenfab::gateway {

TimerQueue::TimerQueue(const base::Clock& clock) : clock_(clock), thread_([this] { Loop(); }) {
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
  const int64_t due = clock_.NowMicros() + delay.count();
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

void TimerQueue::Wake() {
  { absl::MutexLock lock(&mu_); }  // a Loop() between its clock reading and its wait sees this
  cv_.SignalAll();
}

void TimerQueue::Loop() {
  mu_.Lock();
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.Wait(&mu_);
      continue;
    }
    const int64_t left = queue_.begin()->first - clock_.NowMicros();
    if (left > 0) {
      // The wait is on the real clock (a Clock cannot wake a thread); every time value comes
      // from clock_, re-read after the wait.
      cv_.WaitWithTimeout(&mu_, absl::Microseconds(left));
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
