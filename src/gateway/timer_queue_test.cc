#include "timer_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tokenfab/base/clock.h"

namespace tokenfab::gateway {
namespace {

using std::chrono::hours;

// Records which callbacks ran, in order, and lets the test wait for a count of them.
class Ran {
 public:
  std::function<void()> Mark(int value) {
    return [this, value] {
      absl::MutexLock lock(&mu_);
      values_.push_back(value);
    };
  }
  // The values once `count` callbacks ran; what ran so far when they do not within a minute of
  // real time (a bound for a broken queue, not a wait for time to pass).
  std::vector<int> WaitFor(size_t count) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return values_.size() >= count; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Minutes(1));
    return values_;
  }

 private:
  absl::Mutex mu_;
  std::vector<int> values_ ABSL_GUARDED_BY(mu_);
};

TEST(TimerQueueTest, RunsCallbacksWhenTheGivenClockReachesThem) {
  base::ManualClock clock;
  Ran ran;
  TimerQueue timers(clock);
  timers.RunAfter(hours(2), ran.Mark(2));
  timers.RunAfter(hours(1), ran.Mark(1));
  const uint64_t later = timers.RunAfter(hours(5), ran.Mark(5));

  // Hours on the manual clock, none on the real one: due by the clock the queue was given.
  clock.Advance(std::chrono::microseconds(hours(3)).count());
  timers.Wake();
  EXPECT_EQ(ran.WaitFor(2), (std::vector<int>{1, 2}));
  // Not due at 3 h: still queued, so it can be cancelled.
  EXPECT_TRUE(timers.Cancel(later));
}

TEST(TimerQueueTest, DueTimesCountFromTheClockAtScheduling) {
  base::ManualClock clock;
  Ran ran;
  TimerQueue timers(clock);
  clock.Advance(std::chrono::microseconds(hours(10)).count());
  const uint64_t id = timers.RunAfter(hours(1), ran.Mark(1));
  timers.Wake();
  EXPECT_TRUE(timers.Cancel(id));  // due at 11 h, the clock reads 10 h
  timers.RunAfter(hours(1), ran.Mark(2));
  clock.Advance(std::chrono::microseconds(hours(1)).count());
  timers.Wake();
  EXPECT_EQ(ran.WaitFor(1), (std::vector<int>{2}));
}

}  // namespace
}  // namespace tokenfab::gateway
