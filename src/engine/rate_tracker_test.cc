#include "engine/rate_tracker.h"

#include <cmath>

#include <gtest/gtest.h>

namespace tokenfab::engine::internal {
namespace {

// A stream decoding through nine 5 ms decode-only steps and one 95 ms step that carried a
// prefill chunk sees (9 x 5 + 95) / 10 = 14 ms per token. With tau far longer than the steps,
// decay is negligible: the mean is the plain one. (Weighing each step by its duration gives
// (9 x 5 x 5 + 95 x 95) / 140 = 66.1 ms.)
TEST(RateTrackerTest, TpotCountsEveryDecodeStepOnce) {
  RateTracker rates(/*time_constant_us=*/1'000'000'000);
  for (int i = 0; i < 9; ++i) rates.Record(5'000, 0, 8);
  rates.Record(95'000, 2'048, 8);
  EXPECT_NEAR(rates.tpot_us(), 14'000, 5);
}

// Decay by busy time: with tau = 10 ms, a 10 ms step then a 20 ms step keep weights
// e^-2 (the first, decayed by the second's 20 ms) and 1: (10 e^-2 + 20) / (e^-2 + 1).
TEST(RateTrackerTest, TpotDecaysOlderStepsByBusyTime) {
  RateTracker rates(/*time_constant_us=*/10'000);
  rates.Record(10'000, 0, 1);
  rates.Record(20'000, 0, 1);
  const double w = std::exp(-2.0);
  EXPECT_NEAR(rates.tpot_us(), (10'000 * w + 20'000) / (w + 1), 1);
}

TEST(RateTrackerTest, PrefillOnlyStepsLeaveTpotUnknown) {
  RateTracker rates(2'000'000);
  rates.Record(50'000, 2'048, 0);
  EXPECT_EQ(rates.tpot_us(), 0);
  EXPECT_GT(rates.prefill_tokens_per_s(), 0);
}

}  // namespace
}  // namespace tokenfab::engine::internal
