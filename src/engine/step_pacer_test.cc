#include "tokenfab/engine/step_pacer.h"

#include <gtest/gtest.h>

namespace tokenfab::engine {
namespace {

TEST(ScaledStepPacerTest, StretchesEachStepFromNowByTheFactor) {
  base::ManualClock clock;
  clock.Set(1'000);
  ManualStepPacer manual(clock);
  ScaledStepPacer pacer(manual);
  pacer.WaitUntil(1'500);  // factor 1: as asked
  EXPECT_EQ(clock.NowMicros(), 1'500);
  pacer.set_factor(3);
  pacer.WaitUntil(2'000);  // a 500 µs step lasts 1,500 µs
  EXPECT_EQ(clock.NowMicros(), 3'000);
  pacer.set_factor(0.5);
  pacer.WaitUntil(3'400);  // 400 µs at half: 200 µs
  EXPECT_EQ(clock.NowMicros(), 3'200);
  pacer.WaitUntil(3'100);  // already past: no wait
  EXPECT_EQ(clock.NowMicros(), 3'200);
}

}  // namespace
}  // namespace tokenfab::engine
