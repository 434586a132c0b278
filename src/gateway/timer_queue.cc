#include "timer_queue.h"

#include <pthread.h>

namespace tokenfab::gateway {

TimerQueue::TimerQueue() : thread_([this] { Loop(); }) {
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
  const auto due = std::chrono::steady_clock::now() + delay;
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

void TimerQueue::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (queue_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto due = queue_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      cv_.wait_until(lock, due);
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
