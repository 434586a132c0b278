#include "tokenfab/base/random.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::base {
namespace {

TEST(RandomTest, SameSeedSameSequence) {
  Random a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.NextU64();
    EXPECT_EQ(x, b.NextU64());
    differs |= x != c.NextU64();
  }
  EXPECT_TRUE(differs);
}

TEST(RandomTest, SequenceIsPinned) {
  // Pinned so that a change to the generator (which would change every demo model made with a
  // given seed) is a visible, deliberate decision.
  Random r(0);
  EXPECT_EQ(r.NextU64(), 0x99ec5f36cb75f2b4ULL);
  EXPECT_EQ(r.NextU64(), 0xbf6e1f784956452aULL);
}

TEST(RandomTest, BelowStaysInRangeAndCoversIt) {
  Random r(7);
  std::vector<int> seen(10, 0);
  for (int i = 0; i < 10'000; ++i) {
    const uint64_t v = r.Below(10);
    ASSERT_LT(v, 10u);
    ++seen[v];
  }
  for (int count : seen) EXPECT_NEAR(count, 1000, 150);
}

TEST(RandomTest, UniformAndNormalMoments) {
  Random r(1);
  const int n = 200'000;
  double sum_u = 0, sum_n = 0, sum_n2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum_u += u;
    const double z = r.Normal();
    sum_n += z;
    sum_n2 += z * z;
  }
  EXPECT_NEAR(sum_u / n, 0.5, 0.005);
  EXPECT_NEAR(sum_n / n, 0.0, 0.01);
  EXPECT_NEAR(sum_n2 / n, 1.0, 0.02);
}

TEST(RandomTest, ExponentialMean) {
  Random r(3);
  double sum = 0;
  const int n = 100'000;
  for (int i = 0; i < n; ++i) sum += r.Exponential(4.0);
  EXPECT_NEAR(sum / n, 0.25, 0.005);
}

TEST(RandomTest, ForkIsIndependentButDeterministic) {
  Random a(9), b(9);
  Random fa = a.Fork(), fb = b.Fork();
  EXPECT_EQ(fa.NextU64(), fb.NextU64());
  EXPECT_NE(a.NextU64(), fa.NextU64());
}

}  // namespace
}  // namespace tokenfab::base
