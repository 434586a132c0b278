#include "timer_queue.h"

#include <pthread.h>

namespace tokenfab::gateway {

TimerQueue::TimerQueue(const base::Clock& clock) : clock_(clock), thread_([this] { Loop(); }) {
  pthread_setname_np(thread_.native_handle(), "gw-timer");
}

TimerQueue::~TimerQueue() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t TimerQueue::RunAfter(std::chrono::microseconds delay, std::function<void()> fn) {
  const int64_t due = clock_.NowMicros() + delay.count();
  uint64_t id;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return 0;
    id = next_id_++;
    queue_.emplace(due, std::make_pair(id, std::move(fn)));
  }
  cv_.notify_one();
  return id;
}

bool TimerQueue::Cancel(uint64_t id) {
  std::lock_guard lock(mu_);
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (it->second.first == id) {
      queue_.erase(it);
      return true;
    }
  }
  return false;
}

void TimerQueue::Wake() {
  { std::lock_guard lock(mu_); }  // a Loop() between its clock reading and its wait sees this
  cv_.notify_all();
}

void TimerQueue::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const int64_t left = queue_.begin()->first - clock_.NowMicros();
    if (left > 0) {
      // The wait is on the real clock (a Clock cannot wake a thread); every time value comes
      // from clock_, re-read after the wait.
      cv_.wait_for(lock, std::chrono::microseconds(left));
      continue;
    }
    std::function<void()> fn = std::move(queue_.begin()->second.second);
    queue_.erase(queue_.begin());
    lock.unlock();
    fn();
    lock.lock();
  }
}

}  // namespace tokenfab::gateway
