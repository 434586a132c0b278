// TimerQueue: one thread that runs callbacks after given delays, in time order: the gateway's
// polling rounds and retry backoffs. Callbacks must be quick (they start asynchronous calls);
// anything longer belongs on a worker pool.
//
// Time: every due time is read from the base::Clock given (a callback is due once
// clock.NowMicros() has reached it). A Clock cannot wake a thread, so the timer thread sleeps on a
// condition variable for the time left by the Clock's reading, then reads the Clock again: with
// the real clock a callback runs when its delay has passed; with a manual clock, at the first
// wake-up after the clock was moved past its due time (Wake() asks for one at once).
//
// Thread-safe. The destructor drops callbacks not yet due and joins the thread; a callback running
// at that moment finishes first. Borrows `clock`: it must outlive the queue.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "tokenfab/base/clock.h"

namespace tokenfab::gateway {

class TimerQueue {
 public:
  explicit TimerQueue(const base::Clock& clock);
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `fn` on the timer thread once `delay` has passed. Returns an id for Cancel().
  uint64_t RunAfter(std::chrono::microseconds delay, std::function<void()> fn);
  // Drops a callback that has not started; false when it already ran, runs, or never existed.
  bool Cancel(uint64_t id);
  // Makes the timer thread read the clock now (for a clock moved by hand), rather than when the
  // time it last saw as left has passed on the real clock.
  void Wake();

 private:
  void Loop();

  const base::Clock& clock_;
  absl::Mutex mu_;
  absl::CondVar cv_;
  // due time (clock_.NowMicros()) -> (id, callback)
  std::multimap<int64_t, std::pair<uint64_t, std::function<void()>>> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace tokenfab::gateway
