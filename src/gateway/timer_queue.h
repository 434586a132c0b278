// TimerQueue: one thread that runs callbacks after given delays, in time order: the gateway's
// polling rounds and retry backoffs. Callbacks must be quick (they start asynchronous calls);
// anything longer belongs on a worker pool.
//
// Thread-safe. The destructor drops callbacks not yet due and joins the thread; a callback running
// at that moment finishes first.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"

namespace tokenfab::gateway {

class TimerQueue {
 public:
  TimerQueue();
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` on the timer thread once `delay` has passed. Returns an id for Cancel().
  uint64_t RunAfter(std::chrono::microseconds delay, std::function<void()> fn);
  // Drops a callback that has not started; false when it already ran, runs, or never existed.
  bool Cancel(uint64_t id);

 private:
  void Loop();

  absl::Mutex mu_;
  absl::CondVar cv_;
  // due time -> (id, callback)
  std::multimap<std::chrono::steady_clock::time_point, std::pair<uint64_t, std::function<void()>>>
      queue_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tokenfab::gateway
