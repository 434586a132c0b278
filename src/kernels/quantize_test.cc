#include "tokenfab/kernels/quantize.h"

#include <cmath>
#include <cstring>
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
  for (const Case& c :
       {Case{GgmlType::kF32, 0.0}, Case{GgmlType::kF16, 1e-3}, Case{GgmlType::kBF16, 8e-3},
        Case{GgmlType::kQ8_0, 1e-2}, Case{GgmlType::kQ4_0, 0.15}, Case{GgmlType::kQ4_K, 0.085},
        Case{GgmlType::kQ6_K, 0.022}}) {
    base::Random random(5);
    const int64_t n = 4096;
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

TEST(QuantizeTest, QuantisedTypesHandleAllZeroBlocks) {
  std::vector<float> zeros(512, 0.0f), out(512, 1.0f);
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::vector<uint8_t> q(GgmlRowBytes(type, 512));
    QuantizeRow(type, zeros.data(), q.data(), 512);
    DequantizeRow(type, q.data(), out.data(), 512);
    for (float v : out) EXPECT_EQ(v, 0.0f) << GetGgmlTypeInfo(type).name;
  }
}

TEST(QuantizeTest, KQuantsKeepConstantAndOneSidedSubBlocks) {
  // Sub-blocks that are constant, all positive or all negative are the edge cases of the scale and
  // min search; each must come back close (relative to the block's largest magnitude).
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) {
    const int sub = i / 32;
    x[i] = sub == 0   ? 0.5f
           : sub == 1 ? -0.25f
           : sub == 2 ? 1.0f + 0.01f * i
           : sub == 3 ? -1.0f - 0.01f * i
                      : std::sin(0.3f * i);
  }
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::vector<uint8_t> q(GgmlRowBytes(type, 256));
    std::vector<float> y(256);
    QuantizeRow(type, x.data(), q.data(), 256);
    DequantizeRow(type, q.data(), y.data(), 256);
    const double tolerance = type == GgmlType::kQ4_K ? 0.12 : 0.04;  // of the max magnitude 4.2
    for (int i = 0; i < 256; ++i) {
      EXPECT_NEAR(y[i], x[i], tolerance * 4.2 / 2) << GetGgmlTypeInfo(type).name << " i=" << i;
    }
  }
}

// One block of each K-quant type with bytes (i * 73 + 41) mod 256 and fixed half scales, and the
// values ggml's dequantize_row_q4_K / dequantize_row_q6_K produce for it (printed with %a). Our
// decoding must agree bit for bit: this pins the GGUF layout (scale packing, nibble and high-bit
// order, sub-block order).
struct Golden {
  int index;
  float value;
};

std::vector<uint8_t> GoldenBlock(int bytes) {
  std::vector<uint8_t> block(bytes);
  for (int i = 0; i < bytes; ++i) block[i] = static_cast<uint8_t>(i * 73 + 41);
  return block;
}

void ExpectGolden(GgmlType type, const std::vector<uint8_t>& block, double expected_sum,
                  const std::vector<Golden>& golden) {
  std::vector<float> y(256);
  DequantizeRow(type, block.data(), y.data(), 256);
  double sum = 0;
  for (float v : y) sum += v;
  EXPECT_EQ(sum, expected_sum) << GetGgmlTypeInfo(type).name;
  for (const Golden& g : golden) {
    EXPECT_EQ(y[g.index], g.value) << GetGgmlTypeInfo(type).name << " element " << g.index;
  }
}

TEST(QuantizeTest, Q4_KDecodesLikeGgml) {
  std::vector<uint8_t> block = GoldenBlock(144);
  const uint16_t d = 0x2E66, dmin = 0x2A3D;
  std::memcpy(block.data(), &d, 2);
  std::memcpy(block.data() + 2, &dmin, 2);
  ExpectGolden(GgmlType::kQ4_K, block, 5342.5859375,
               {{0, 0x1.29e3cp+3f},
                {1, 0x1.b0bp-3f},
                {17, 0x1.b0bp-3f},
                {31, -0x1.31adp+1f},
                {32, 0x1.55e0cp+4f},
                {47, -0x1.69d2p+1f},
                {63, 0x1.0f7ecp+4f},
                {64, 0x1.bbf3ap+4f},
                {100, 0x1.db344p+5f},
                {127, 0x1.5b3c4p+5f},
                {128, 0x1.1ad4ep+4f},
                {150, 0x1.e461ep+4f},
                {191, 0x1.ccbcfp+5f},
                {192, 0x1.8b1fap+5f},
                {223, -0x1.8f4p-4f},
                {224, -0x1.1ef6p+0f},
                {240, -0x1.1ef6p+0f},
                {255, -0x1.1ef6p+0f}});
}

TEST(QuantizeTest, Q6_KDecodesLikeGgml) {
  std::vector<uint8_t> block = GoldenBlock(210);
  const uint16_t d = 0x2E66;
  std::memcpy(block.data() + 208, &d, 2);
  ExpectGolden(GgmlType::kQ6_K, block, -1484.03759765625,
               {{0, 0x1.01898p+4f},
                {1, -0x1.2654p+2f},
                {17, 0x1.3fecp+3f},
                {31, -0x1.3fecp+7f},
                {32, 0x1.bab12p+6f},
                {47, -0x1.8981p+8f},
                {63, 0x1.7fe8p+7f},
                {64, 0x1.4cb8p+1f},
                {100, -0x1.aab22p+7f},
                {127, -0x1.332p+2f},
                {128, -0x1.12554p+5f},
                {150, 0x1.7a1b9p+8f},
                {191, -0x1.332p+5f},
                {192, -0x1.b9e46p+7f},
                {223, -0x1.3986p+5f},
                {224, -0x1.dfe2p+5f},
                {240, -0x1.1feep+6f},
                {255, 0x1.ccbp+4f}});
}

TEST(QuantizeTest, KQuantsReEncodeTheirOwnValuesExactly) {
  // Decoded values lie on the block's grid, so quantising them again must reproduce them closely
  // (the scale search finds the grid or one at least as good).
  base::Random random(11);
  for (GgmlType type : {GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::vector<float> x(1024), y(1024), z(1024);
    for (float& v : x) v = static_cast<float>(random.Normal());
    std::vector<uint8_t> q(GgmlRowBytes(type, 1024));
    QuantizeRow(type, x.data(), q.data(), 1024);
    DequantizeRow(type, q.data(), y.data(), 1024);
    QuantizeRow(type, y.data(), q.data(), 1024);
    DequantizeRow(type, q.data(), z.data(), 1024);
    double err = 0, ref = 0;
    for (int i = 0; i < 1024; ++i) {
      err += (y[i] - z[i]) * (y[i] - z[i]);
      ref += y[i] * y[i];
    }
    EXPECT_LT(std::sqrt(err / ref), type == GgmlType::kQ4_K ? 0.03 : 0.01)
        << GetGgmlTypeInfo(type).name;
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
