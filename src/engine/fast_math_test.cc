#include "engine/fast_math.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::engine {
namespace {

TEST(FastMathTest, FastExpIsAccurateOverItsRange) {
  double worst = 0;
  for (double x = -86.0; x <= 0.0; x += 0.000731) {
    const float xf = static_cast<float>(x);
    // Against e^(float(x)): the argument's own rounding is not the function's error.
    const double reference = std::exp(static_cast<double>(xf));
    worst = std::max(worst, std::abs(FastExp(xf) - reference) / reference);
  }
  EXPECT_LT(worst, 2e-7);
  EXPECT_EQ(FastExp(0.0f), 1.0f);
  EXPECT_EQ(FastExp(-0.0f), 1.0f);
  // Below about -87 the result is exactly +0, never garbage from the exponent arithmetic.
  for (float x : {-87.5f, -100.0f, -1e4f, -1e30f, -std::numeric_limits<float>::max(),
                  -std::numeric_limits<float>::infinity()}) {
    EXPECT_EQ(std::bit_cast<uint32_t>(FastExp(x)), 0u) << x;
  }
  // Between -86 and -87.5: accurate or 0, never more than e^-86.
  for (float x = -87.5f; x <= -86.0f; x += 0.01f) {
    const float y = FastExp(x);
    EXPECT_TRUE(y == 0.0f || std::abs(y - std::exp(double(x))) < 1e-6 * std::exp(double(x))) << x;
  }
}

TEST(FastMathTest, MaxAndCheckFindsTheMaxAndBadValues) {
  std::vector<float> x(1003);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(static_cast<float>(i));
  x[1001] = 7.0f;  // in the scalar tail
  bool bad = false;
  EXPECT_EQ(MaxAndCheck(x.data(), x.size(), &bad), 7.0f);
  EXPECT_FALSE(bad);
  x[17] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(MaxAndCheck(x.data(), x.size(), &bad), 7.0f);
  EXPECT_TRUE(bad);
  bad = false;
  x[17] = 0;
  x[1002] = std::numeric_limits<float>::infinity();
  MaxAndCheck(x.data(), x.size(), &bad);
  EXPECT_TRUE(bad);
  bad = false;
  x[1002] = -std::numeric_limits<float>::infinity();  // masked: fine
  MaxAndCheck(x.data(), x.size(), &bad);
  EXPECT_FALSE(bad);
}

TEST(FastMathTest, Max16FindsTheMaximumAnywhere) {
  for (int at = 0; at < 16; ++at) {
    float x[16];
    for (int j = 0; j < 16; ++j) x[j] = -static_cast<float>(j);
    x[at] = 5.0f;
    EXPECT_EQ(Max16(x), 5.0f) << at;
  }
}

TEST(FastMathTest, SumExpMatchesADoubleReference) {
  std::vector<float> x(12345);
  for (size_t i = 0; i < x.size(); ++i) x[i] = 3.0f * std::cos(static_cast<float>(i) * 0.37f);
  std::vector<float> w(x.size());
  double reference = 0;
  for (float v : x) reference += std::exp((static_cast<double>(v) - 3.0) * 0.5);
  const double got = SumExp(x.data(), x.size(), 3.0f, 0.5f, w.data());
  EXPECT_NEAR(got / reference, 1.0, 1e-6);
  EXPECT_NEAR(Sum(w.data(), w.size()), got, 1e-9 * got);
  EXPECT_NEAR(w[100], std::exp((x[100] - 3.0) * 0.5), 1e-6);
  EXPECT_EQ(SumExp(x.data(), x.size(), 3.0f, 0.5f, nullptr), got);
}

}  // namespace
}  // namespace tokenfab::engine
