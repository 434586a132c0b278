#include "tokenfab/kernels/quantize.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/random.h"

namespace tokenfab::kernels {
namespace {

struct Case {
  GgmlType type;
  double max_relative_rms;  // RMS error of a round trip, relative to the RMS of the data
};

TEST(QuantizeTest, RoundTripErrorIsWithinTheTypesPrecision) {
  for (const Case& c : {Case{GgmlType::kF32, 0.0}, Case{GgmlType::kF16, 1e-3},
                        Case{GgmlType::kBF16, 8e-3}, Case{GgmlType::kQ8_0, 1e-2},
                        Case{GgmlType::kQ4_0, 0.15}}) {
    base::Random random(5);
    const int64_t n = 1024;
    std::vector<float> x(n), y(n);
    for (float& v : x) v = static_cast<float>(random.Normal());
    std::vector<uint8_t> q(GgmlRowBytes(c.type, n));
    QuantizeRow(c.type, x.data(), q.data(), n);
    DequantizeRow(c.type, q.data(), y.data(), n);
    double err = 0, ref = 0;
    for (int64_t i = 0; i < n; ++i) {
      err += (x[i] - y[i]) * (x[i] - y[i]);
      ref += x[i] * x[i];
    }
    EXPECT_LE(std::sqrt(err / ref), c.max_relative_rms) << GetGgmlTypeInfo(c.type).name;
  }
}

TEST(QuantizeTest, Q8_0AndQ4_0HandleAllZeroBlocks) {
  std::vector<float> zeros(64, 0.0f), out(64, 1.0f);
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    std::vector<uint8_t> q(GgmlRowBytes(type, 64));
    QuantizeRow(type, zeros.data(), q.data(), 64);
    DequantizeRow(type, q.data(), out.data(), 64);
    for (float v : out) EXPECT_EQ(v, 0.0f);
  }
}

TEST(QuantizeTest, Q4_0MapsTheLargestMagnitudeToMinusEight) {
  std::vector<float> x(32, 0.0f);
  x[3] = -4.0f;  // largest magnitude: d = -4 / -8 = 0.5, so -4 is q=0 (-8 * 0.5)
  x[20] = 1.0f;
  std::vector<uint8_t> q(GgmlRowBytes(GgmlType::kQ4_0, 32));
  QuantizeRow(GgmlType::kQ4_0, x.data(), q.data(), 32);
  std::vector<float> y(32);
  DequantizeRow(GgmlType::kQ4_0, q.data(), y.data(), 32);
  EXPECT_EQ(y[3], -4.0f);
  EXPECT_EQ(y[20], 1.0f);
  EXPECT_EQ(y[0], 0.0f);
}

}  // namespace
}  // namespace tokenfab::kernels
