// RMSNorm, RoPE, SwiGLU / SiLU, add / mul / scale, softmax and KV stores at every instruction-set
// level against double-precision references, on odd sizes.
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/test_util.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels {
namespace {

using testing::RandomVector;

class OpsTest : public ::testing::TestWithParam<IsaLevel> {
 protected:
  CpuKernels kernels_{2, GetParam()};
};

const int64_t kSizes[] = {1, 2, 7, 15, 16, 17, 31, 64, 100, 896, 2049, 40000};

TEST_P(OpsTest, RmsNorm) {
  base::Random random(1);
  for (int64_t n : kSizes) {
    for (bool with_weight : {true, false}) {
      const int64_t rows = n > 1000 ? 3 : 5, stride = n + 1;
      std::vector<float> x = RandomVector(random, rows * stride, 3.0);
      std::vector<float> w = RandomVector(random, n);
      std::vector<float> y(rows * stride, NAN);
      const float eps = 1e-5f;
      kernels_.RmsNorm(x.data(), stride, rows, n, with_weight ? w.data() : nullptr, eps, y.data(),
                       stride);
      for (int64_t r = 0; r < rows; ++r) {
        double sum = 0;
        for (int64_t i = 0; i < n; ++i)
          sum += static_cast<double>(x[r * stride + i]) * x[r * stride + i];
        const double scale = 1.0 / std::sqrt(sum / n + eps);
        for (int64_t i = 0; i < n; ++i) {
          const double expected = x[r * stride + i] * scale * (with_weight ? w[i] : 1.0);
          ASSERT_NEAR(y[r * stride + i], expected, 1e-5 * std::fabs(expected) + 1e-6)
              << "n=" << n << " r=" << r << " i=" << i;
        }
      }
    }
  }
  // In place.
  std::vector<float> x = RandomVector(random, 33), copy = x;
  kernels_.RmsNorm(x.data(), 33, 1, 33, nullptr, 0, x.data(), 33);
  double sum = 0;
  for (float v : copy) sum += v * v;
  EXPECT_NEAR(x[5], copy[5] / std::sqrt(sum / 33), 1e-5);
}

TEST_P(OpsTest, Rope) {
  base::Random random(2);
  const float factors[] = {1.0f, 1.5f, 2.0f, 4.0f, 8.0f, 8.0f, 8.0f, 16.0f, 1.0f, 1.0f, 1.0f,
                           1.0f, 3.0f, 3.0f, 3.0f, 3.0f, 1.0f, 1.0f, 1.0f,  1.0f, 1.0f, 1.0f,
                           1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f, 1.0f,  1.0f, 1.0f};
  struct Case {
    RopeParams::Style style;
    int head_dim, n_dims, n_heads;
    float base, scale;
    bool factors;
  };
  for (const Case& c : {Case{RopeParams::Style::kNormal, 64, 64, 3, 500000, 1, true},
                        Case{RopeParams::Style::kNeox, 64, 64, 7, 1000000, 1, false},
                        Case{RopeParams::Style::kNormal, 128, 128, 5, 10000, 0.25f, false},
                        Case{RopeParams::Style::kNeox, 128, 32, 2, 10000, 1, false},
                        Case{RopeParams::Style::kNormal, 80, 40, 1, 10000, 0.5f, false},
                        Case{RopeParams::Style::kNeox, 6, 6, 3, 10000, 1, false}}) {
    SCOPED_TRACE(::testing::Message() << "neox=" << (c.style == RopeParams::Style::kNeox)
                                      << " head_dim=" << c.head_dim << " n_dims=" << c.n_dims);
    RopeParams params;
    params.style = c.style;
    params.n_dims = c.n_dims;
    params.freq_base = c.base;
    params.freq_scale = c.scale;
    params.freq_factors = c.factors ? factors : nullptr;
    const std::vector<int32_t> positions = {0, 1, 2, 17, 511, 4095, 30000};
    const int64_t tokens = positions.size(), stride = c.n_heads * c.head_dim + 2;
    RopeTable table(params, positions.data(), tokens);
    std::vector<float> x = RandomVector(random, tokens * stride), y = x;
    kernels_.Rope(table, y.data(), stride, tokens, c.n_heads, c.head_dim);
    const int half = c.n_dims / 2;
    for (int64_t t = 0; t < tokens; ++t) {
      for (int h = 0; h < c.n_heads; ++h) {
        const float* in = x.data() + t * stride + h * c.head_dim;
        const float* out = y.data() + t * stride + h * c.head_dim;
        for (int i = 0; i < half; ++i) {
          double theta = std::pow(static_cast<double>(c.base), -2.0 * i / c.n_dims) * c.scale;
          if (c.factors) theta /= factors[i];
          const double angle = positions[t] * theta;
          const int i0 = c.style == RopeParams::Style::kNeox ? i : 2 * i;
          const int i1 = c.style == RopeParams::Style::kNeox ? i + half : 2 * i + 1;
          const double e0 = in[i0] * std::cos(angle) - in[i1] * std::sin(angle);
          const double e1 = in[i0] * std::sin(angle) + in[i1] * std::cos(angle);
          ASSERT_NEAR(out[i0], e0, 2e-6 * (std::fabs(in[i0]) + std::fabs(in[i1])) + 1e-7)
              << "t=" << t << " h=" << h << " i=" << i;
          ASSERT_NEAR(out[i1], e1, 2e-6 * (std::fabs(in[i0]) + std::fabs(in[i1])) + 1e-7);
        }
        for (int i = c.n_dims; i < c.head_dim; ++i) ASSERT_EQ(out[i], in[i]) << "pass-through";
      }
      for (int64_t i = c.n_heads * c.head_dim; i < stride; ++i) {
        ASSERT_EQ(y[t * stride + i], x[t * stride + i]) << "padding";
      }
    }
  }
}

// YaRN: the pairs below the ramp keep their trained frequency, the pairs above it are divided by
// the scaling factor, the pairs on it move linearly between the two; every rotated element is
// scaled by the magnitude, the pass-through elements are not.
TEST_P(OpsTest, RopeYarnRampAndMagnitude) {
  base::Random random(8);
  RopeParams params;
  params.style = RopeParams::Style::kNormal;
  params.n_dims = 32;
  params.freq_base = 10000.0f;
  params.freq_scale = 0.125f;  // factor 8
  params.ext_factor = 1.0f;
  params.yarn_low = 4.0f;
  params.yarn_high = 10.0f;
  params.magnitude = 1.25f;
  const std::vector<int32_t> positions = {0, 3, 100, 7000};
  const int head_dim = 40, tokens = static_cast<int>(positions.size());
  RopeTable table(params, positions.data(), tokens);
  std::vector<float> x = RandomVector(random, tokens * head_dim), y = x;
  kernels_.Rope(table, y.data(), head_dim, tokens, 1, head_dim);
  for (int t = 0; t < tokens; ++t) {
    const float* in = x.data() + t * head_dim;
    const float* out = y.data() + t * head_dim;
    for (int i = 0; i < 16; ++i) {
      const double trained = std::pow(10000.0, -2.0 * i / 32);
      double freq = trained / 8;   // i >= 10: interpolated
      if (i <= 4) freq = trained;  // extrapolated
      if (i > 4 && i < 10) {       // on the ramp: 5/6 ... 1/6 trained
        const double kept = (10.0 - i) / 6.0;
        freq = kept * trained + (1 - kept) * trained / 8;
      }
      const double angle = positions[t] * freq;
      const double e0 = 1.25 * (in[2 * i] * std::cos(angle) - in[2 * i + 1] * std::sin(angle));
      const double e1 = 1.25 * (in[2 * i] * std::sin(angle) + in[2 * i + 1] * std::cos(angle));
      const double tol = 4e-6 * (std::fabs(in[2 * i]) + std::fabs(in[2 * i + 1])) + 1e-7;
      ASSERT_NEAR(out[2 * i], e0, tol) << "t=" << t << " i=" << i;
      ASSERT_NEAR(out[2 * i + 1], e1, tol) << "t=" << t << " i=" << i;
    }
    for (int i = 32; i < head_dim; ++i) ASSERT_EQ(out[i], in[i]) << "pass-through";
  }
}

double Silu(double x) { return x / (1.0 + std::exp(-x)); }

TEST_P(OpsTest, SwiGluAndSilu) {
  base::Random random(3);
  for (int64_t n : kSizes) {
    std::vector<float> gate = RandomVector(random, n, 4.0), up = RandomVector(random, n);
    if (n > 3) {
      gate[0] = -100.0f;  // exp overflow / underflow edges
      gate[1] = 100.0f;
      gate[2] = -87.5f;
      gate[3] = 0.0f;
    }
    std::vector<float> out(n), silu(n);
    kernels_.SwiGlu(gate.data(), up.data(), n, out.data());
    kernels_.Silu(gate.data(), n, silu.data());
    for (int64_t i = 0; i < n; ++i) {
      const double s = Silu(gate[i]);
      ASSERT_NEAR(silu[i], s, 2e-6 * std::fabs(s) + 1e-30) << "n=" << n << " x=" << gate[i];
      ASSERT_NEAR(out[i], s * up[i], 2e-6 * std::fabs(s * up[i]) + 1e-30) << "n=" << n;
    }
  }
}

TEST_P(OpsTest, AddMulScaleAreExact) {
  base::Random random(4);
  for (int64_t n : kSizes) {
    std::vector<float> a = RandomVector(random, n), b = RandomVector(random, n);
    std::vector<float> sum(n), prod(n), scaled(n);
    kernels_.Add(a.data(), b.data(), n, sum.data());
    kernels_.Mul(a.data(), b.data(), n, prod.data());
    kernels_.Scale(a.data(), 0.37f, n, scaled.data());
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(sum[i], a[i] + b[i]);
      ASSERT_EQ(prod[i], a[i] * b[i]);
      ASSERT_EQ(scaled[i], a[i] * 0.37f);
    }
    kernels_.Add(a.data(), b.data(), n, a.data());  // in place
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(a[i], sum[i]);
  }
}

TEST_P(OpsTest, Softmax) {
  base::Random random(5);
  for (int64_t n : kSizes) {
    const int64_t rows = 3, stride = n + 3;
    std::vector<float> x = RandomVector(random, rows * stride, 5.0);
    if (n > 4) {
      x[2] = -std::numeric_limits<float>::infinity();  // masked entry
      x[3] = 80.0f;                                    // would overflow without the max
    }
    std::vector<float> y = x;
    kernels_.Softmax(y.data(), stride, rows, n);
    for (int64_t r = 0; r < rows; ++r) {
      double max = -INFINITY, sum = 0;
      for (int64_t i = 0; i < n; ++i) max = std::max<double>(max, x[r * stride + i]);
      for (int64_t i = 0; i < n; ++i) sum += std::exp(x[r * stride + i] - max);
      for (int64_t i = 0; i < n; ++i) {
        const double expected = std::exp(x[r * stride + i] - max) / sum;
        ASSERT_NEAR(y[r * stride + i], expected, 3e-6 * expected + 1e-12) << "n=" << n;
      }
      for (int64_t i = n; i < stride; ++i) ASSERT_EQ(y[r * stride + i], x[r * stride + i]);
    }
  }
}

TEST_P(OpsTest, WriteKvStoresRowsAtTheirBlockSlots) {
  base::Random random(6);
  const int n_head_kv = 3, head_dim = 20, block_tokens = 4, n_blocks = 6;
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16}) {
    const int64_t elem = type == GgmlType::kF16 ? 2 : 4;
    const int64_t head_stride = head_dim * elem + 8, token_stride = n_head_kv * head_stride;
    const int64_t block_stride = block_tokens * token_stride + 64;
    std::vector<uint8_t> cache(n_blocks * block_stride, 0xAB);
    KvCacheView view{type, cache.data(), block_tokens, block_stride, token_stride, head_stride};
    // Two sequences: one at positions 5..10 (blocks 4, 1), one at position 2 (block 3).
    const int32_t seq_a[] = {4, 1, 0}, seq_b[] = {3};
    const int32_t* tables[] = {seq_a, seq_a, seq_a, seq_a, seq_a, seq_a, seq_b};
    const int32_t positions[] = {5, 6, 7, 8, 9, 10, 2};
    const KvBatch batch{7, tables, positions};
    const int64_t src_stride = n_head_kv * head_dim + 1;
    std::vector<float> src = RandomVector(random, 7 * src_stride);
    kernels_.WriteKv(view, batch, src.data(), src_stride, n_head_kv, head_dim);
    std::vector<bool> written(cache.size(), false);
    for (int t = 0; t < 7; ++t) {
      for (int h = 0; h < n_head_kv; ++h) {
        const int64_t block = tables[t][positions[t] / block_tokens];
        const int64_t offset =
            block * block_stride + (positions[t] % block_tokens) * token_stride + h * head_stride;
        ASSERT_EQ(static_cast<uint8_t*>(view.Row(tables[t], positions[t], h)),
                  cache.data() + offset);
        for (int i = 0; i < head_dim; ++i) {
          const float v = src[t * src_stride + h * head_dim + i];
          if (type == GgmlType::kF16) {
            uint16_t stored;
            std::memcpy(&stored, cache.data() + offset + 2 * i, 2);
            ASSERT_EQ(stored, FloatToHalf(v));
          } else {
            float stored;
            std::memcpy(&stored, cache.data() + offset + 4 * i, 4);
            ASSERT_EQ(stored, v);
          }
        }
        for (int64_t b = 0; b < head_dim * elem; ++b) written[offset + b] = true;
      }
    }
    for (size_t i = 0; i < cache.size(); ++i) {
      if (!written[i]) {
        ASSERT_EQ(cache[i], 0xAB) << "byte " << i << " overwritten";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, OpsTest, ::testing::ValuesIn(testing::TestLevels()),
                         testing::LevelName);

}  // namespace
}  // namespace tokenfab::kernels
