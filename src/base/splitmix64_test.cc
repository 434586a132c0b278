#include "tokenfab/base/splitmix64.h"

#include <gtest/gtest.h>

namespace tokenfab::base {
namespace {

// Outputs of the reference algorithm (Vigna's splitmix64.c), computed outside this code base:
// a change here changes every seed, synthetic text and demo model derived from it.
TEST(SplitMix64Test, NextMatchesTheReferenceSequence) {
  uint64_t state = 1234567;
  EXPECT_EQ(SplitMix64Next(state), 6457827717110365317ULL);
  EXPECT_EQ(SplitMix64Next(state), 3203168211198807973ULL);
  EXPECT_EQ(SplitMix64Next(state), 9817491932198370423ULL);
  EXPECT_EQ(SplitMix64Next(state), 4593380528125082431ULL);
  EXPECT_EQ(SplitMix64Next(state), 16408922859458223821ULL);
  EXPECT_EQ(state, 1234567 + 5 * kSplitMix64Increment);
}

TEST(SplitMix64Test, StatelessFormIsOneStepFromTheState) {
  EXPECT_EQ(SplitMix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(SplitMix64(kSplitMix64Increment), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(SplitMix64(1234567), 6457827717110365317ULL);
}

TEST(SplitMix64Test, MixAndCombineArePinned) {
  EXPECT_EQ(SplitMix64Mix(0), 0u);
  EXPECT_EQ(SplitMix64Mix(1), 6238072747940578789ULL);
  // mix(a ^ (b + increment + (a << 6) + (a >> 2))), computed independently.
  EXPECT_EQ(SplitMix64Combine(1, 2), 3965022595533706929ULL);
  EXPECT_EQ(SplitMix64Combine(2, 1), 4588524522137214616ULL);
  EXPECT_EQ(SplitMix64Combine(0, 0), 16294208416658607535ULL);
}

}  // namespace
}  // namespace tokenfab::base
