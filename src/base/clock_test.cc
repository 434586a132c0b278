#include "tokenfab/base/clock.h"

#include <gtest/gtest.h>

namespace tokenfab::base {
namespace {

TEST(ManualClockTest, MovesOnlyWhenTold) {
  ManualClock clock(/*now_micros=*/100, /*wall_origin_micros=*/5'000);
  EXPECT_EQ(clock.NowMicros(), 100);
  EXPECT_EQ(clock.WallMicros(), 5'100);
  clock.Advance(50);
  EXPECT_EQ(clock.NowMicros(), 150);
  EXPECT_EQ(clock.WallMicros(), 5'150);
  clock.Set(1'000);
  EXPECT_EQ(clock.NowMicros(), 1'000);
}

TEST(ManualClockDeathTest, RefusesToRunBackwards) {
  ManualClock clock(100);
  EXPECT_DEATH(clock.Set(99), "time cannot run backwards");
  EXPECT_DEATH(clock.Advance(-1), "time cannot run backwards");
}

TEST(RealClockTest, MonotonicAndNearTheCalendar) {
  RealClock& clock = RealClock::Get();
  const int64_t a = clock.NowMicros();
  const int64_t b = clock.NowMicros();
  EXPECT_LE(a, b);
  // 2020-01-01 in microseconds: any real wall clock is past it.
  EXPECT_GT(clock.WallMicros(), 1'577'836'800'000'000);
}

}  // namespace
}  // namespace tokenfab::base
