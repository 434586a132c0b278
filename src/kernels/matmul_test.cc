// MatMul against a double-precision reference for every weight type, every instruction-set level,
// thread counts and shapes (odd row counts, 1 row, 1..17 and more tokens).
//
// Each path rounds its operands in a documented way (internal::Rounding): int8 activations per
// block, bf16 activations and/or weights. The reference applies the same rounding with its own
// code, so what remains is float32 accumulation error, checked to 2e-5 of sum |w x|. A second check
// bounds the total error against the unrounded product.
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/kernel_table.h"
#include "kernels/test_util.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/kernels/quant_blocks.h"
#include "tokenfab/kernels/quantize.h"

namespace tokenfab::kernels {
namespace {

using internal::Rounding;
using testing::RandomVector;

float RoundBf16(float x) { return Bf16ToFloat(FloatToBf16(x)); }

// The activations as the path sees them: int8 blocks with d = max|x| / 127 and round-half-even.
std::vector<float> RoundActivations(const std::vector<float>& x, Rounding rounding) {
  std::vector<float> out(x);
  if (rounding == Rounding::kBf16Act || rounding == Rounding::kBf16Both) {
    for (float& v : out) v = RoundBf16(v);
  } else if (rounding == Rounding::kQ8Blocks32 || rounding == Rounding::kQ8Blocks256) {
    const size_t block = rounding == Rounding::kQ8Blocks32 ? 32 : 256;
    for (size_t b = 0; b < x.size(); b += block) {
      float amax = 0;
      for (size_t i = b; i < b + block; ++i) amax = std::max(amax, std::fabs(x[i]));
      const float d = amax / 127.0f;
      const float id = d != 0 ? 1.0f / d : 0.0f;
      for (size_t i = b; i < b + block; ++i) out[i] = d * std::nearbyint(x[i] * id);
    }
  }
  return out;
}

struct Shape {
  int64_t rows, cols, tokens;
};

class MatMulTest : public ::testing::TestWithParam<IsaLevel> {
 protected:
  // Checks MatMul of a random `type` matrix against the references.
  void Check(GgmlType type, const Shape& shape, int threads, bool with_bias, uint64_t seed) {
    SCOPED_TRACE(::testing::Message()
                 << GetGgmlTypeInfo(type).name << " rows=" << shape.rows << " cols=" << shape.cols
                 << " tokens=" << shape.tokens << " threads=" << threads);
    base::Random random(seed);
    // Weights: quantise random rows, then decode them again: the exact values the kernels see.
    const int64_t row_bytes = GgmlRowBytes(type, shape.cols);
    std::vector<uint8_t> w(row_bytes * shape.rows);
    std::vector<float> wf(shape.rows * shape.cols);
    for (int64_t r = 0; r < shape.rows; ++r) {
      std::vector<float> row = RandomVector(random, shape.cols, 0.05);
      QuantizeRow(type, row.data(), w.data() + r * row_bytes, shape.cols);
      DequantizeRow(type, w.data() + r * row_bytes, wf.data() + r * shape.cols, shape.cols);
    }
    // Activations with a few outliers, as real hidden states have; padded rows (stride > cols).
    const int64_t x_stride = shape.cols + 3;
    std::vector<float> x = RandomVector(random, shape.tokens * x_stride);
    for (size_t i = 0; i < x.size(); i += 37) x[i] *= 6;
    std::vector<float> bias = RandomVector(random, shape.rows);

    CpuKernels kernels(threads, GetParam());
    const int64_t y_stride = shape.rows + 5;
    std::vector<float> y(shape.tokens * y_stride, NAN);
    kernels.MatMul(WeightMatrix::Dense(type, w.data(), shape.cols, shape.rows), x.data(), x_stride,
                   shape.tokens, y.data(), y_stride, with_bias ? bias.data() : nullptr);

    const internal::KernelTable& table = internal::GetKernelTable(GetParam());
    const Rounding rounding =
        internal::MatMulRounding(table, internal::MatTypeIndex(type), shape.tokens);
    std::vector<float> wr(wf);
    if (rounding == Rounding::kBf16Both) {
      for (float& v : wr) v = RoundBf16(v);
    }
    for (int64_t t = 0; t < shape.tokens; ++t) {
      const std::vector<float> xt(x.begin() + t * x_stride, x.begin() + t * x_stride + shape.cols);
      const std::vector<float> xr = RoundActivations(xt, rounding);
      for (int64_t r = 0; r < shape.rows; ++r) {
        double exact = 0, rounded = 0, magnitude = 0, rounding_bound = 0;
        for (int64_t k = 0; k < shape.cols; ++k) {
          const double wk = wf[r * shape.cols + k];
          exact += wk * xt[k];
          rounded += static_cast<double>(wr[r * shape.cols + k]) * xr[k];
          magnitude += std::fabs(wk * xt[k]);
          rounding_bound += std::fabs(wk) * std::fabs(xt[k] - xr[k]) +
                            std::fabs(wk - wr[r * shape.cols + k]) * std::fabs(xt[k]);
        }
        const double b = with_bias ? bias[r] : 0.0;
        const double got = y[t * y_stride + r];
        ASSERT_NEAR(got, rounded + b, 2e-5 * magnitude + 1e-6)
            << "token " << t << " row " << r << " rounding " << static_cast<int>(rounding);
        // The rounding of the operands explains the rest of the difference to the exact product.
        ASSERT_NEAR(got, exact + b, 1.01 * rounding_bound + 2e-5 * magnitude + 1e-6)
            << "token " << t << " row " << r;
      }
      // Padding between output rows is untouched.
      for (int64_t r = shape.rows; r < y_stride; ++r) {
        ASSERT_TRUE(std::isnan(y[t * y_stride + r])) << "wrote past row end, token " << t;
      }
    }
  }
};

const GgmlType kTypes[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ8_0,
                           GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K};

int64_t BlockOf(GgmlType type) { return GetGgmlTypeInfo(type).block_elements; }

TEST_P(MatMulTest, SmallShapesEveryTokenCount) {
  uint64_t seed = 1;
  for (GgmlType type : kTypes) {
    const int64_t unit = std::max<int64_t>(BlockOf(type), 32);
    for (int64_t tokens = 1; tokens <= 17; ++tokens) {
      Check(type, {tokens % 3 == 0 ? 1 : 37 + tokens, (tokens % 4 + 1) * unit, tokens}, 2,
            tokens % 2 == 0, seed++);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_P(MatMulTest, OddSizesForPlainTypes) {
  // F32 / F16 / BF16 rows may have any length.
  uint64_t seed = 100;
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
    for (const Shape& shape : {Shape{5, 1, 1}, Shape{3, 7, 2}, Shape{67, 33, 1}, Shape{129, 95, 9},
                               Shape{65, 131, 12}, Shape{2, 15, 16}}) {
      Check(type, shape, 2, false, seed++);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_P(MatMulTest, LargerShapesAndThreadCounts) {
  uint64_t seed = 200;
  for (GgmlType type : kTypes) {
    const int64_t unit = std::max<int64_t>(BlockOf(type), 32);
    for (const Shape& shape : {Shape{130, 4 * unit, 1}, Shape{257, 2 * unit, 3},
                               Shape{200, 8 * unit, 33}, Shape{64, unit * 3, 70}}) {
      for (int threads : {1, 3}) {
        Check(type, shape, threads, true, seed++);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// `rows` rows of `cols` random values (std 0.05), quantised to `type`.
std::vector<uint8_t> RandomWeights(base::Random& random, GgmlType type, int64_t cols,
                                   int64_t rows) {
  const int64_t row_bytes = GgmlRowBytes(type, cols);
  std::vector<uint8_t> w(row_bytes * rows);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<float> row = RandomVector(random, cols, 0.05);
    QuantizeRow(type, row.data(), w.data() + r * row_bytes, cols);
  }
  return w;
}

// Results do not depend on the thread count, and below kGemmMinTokens a token's result does not
// depend on the other tokens of the batch: the runtime's outputs are reproducible however requests
// are batched and however many threads run them.
TEST_P(MatMulTest, ResultsAreBitIdenticalAcrossThreadsAndDecodeBatches) {
  base::Random random(77);
  for (GgmlType type : kTypes) {
    const int64_t cols = 512, rows = 300;
    const std::vector<uint8_t> w = RandomWeights(random, type, cols, rows);
    const WeightMatrix matrix = WeightMatrix::Dense(type, w.data(), cols, rows);
    for (int64_t tokens : {int64_t{7}, CpuKernels::kGemmMinTokens + 9}) {
      std::vector<float> x = RandomVector(random, tokens * cols);
      std::vector<float> y1(tokens * rows), y3(tokens * rows);
      CpuKernels one(1, GetParam()), three(3, GetParam());
      one.MatMul(matrix, x.data(), cols, tokens, y1.data(), rows);
      three.MatMul(matrix, x.data(), cols, tokens, y3.data(), rows);
      ASSERT_EQ(std::memcmp(y1.data(), y3.data(), y1.size() * sizeof(float)), 0)
          << GetGgmlTypeInfo(type).name << " tokens=" << tokens;
      if (tokens < CpuKernels::kGemmMinTokens) {
        for (int64_t t = 0; t < tokens; ++t) {
          std::vector<float> single(rows);
          three.MatMul(matrix, x.data() + t * cols, cols, 1, single.data(), rows);
          ASSERT_EQ(std::memcmp(single.data(), y1.data() + t * rows, rows * sizeof(float)), 0)
              << GetGgmlTypeInfo(type).name << " token " << t;
        }
      }
    }
  }
}

// kStreamingOnly: every token of a wide batch gets exactly its single-token result.
TEST_P(MatMulTest, StreamingOnlyIsBatchInvariantAtAnyWidth) {
  base::Random random(91);
  for (GgmlType type : kTypes) {
    const int64_t cols = 256, rows = 70, tokens = 3 * CpuKernels::kGemmMinTokens + 5;
    const std::vector<uint8_t> w = RandomWeights(random, type, cols, rows);
    const WeightMatrix matrix = WeightMatrix::Dense(type, w.data(), cols, rows);
    std::vector<float> x = RandomVector(random, tokens * cols);
    std::vector<float> y(tokens * rows);
    CpuKernels kernels(2, GetParam());
    kernels.set_matmul_path(CpuKernels::MatMulPath::kStreamingOnly);
    kernels.MatMul(matrix, x.data(), cols, tokens, y.data(), rows);
    for (int64_t t = 0; t < tokens; ++t) {
      std::vector<float> single(rows);
      kernels.MatMul(matrix, x.data() + t * cols, cols, 1, single.data(), rows);
      ASSERT_EQ(std::memcmp(single.data(), y.data() + t * rows, rows * sizeof(float)), 0)
          << GetGgmlTypeInfo(type).name << " token " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Levels, MatMulTest, ::testing::ValuesIn(testing::TestLevels()),
                         testing::LevelName);

TEST(MatMulApiTest, CanMatMulListsTheWeightTypes) {
  for (GgmlType type : kTypes) EXPECT_TRUE(CanMatMul(type)) << GetGgmlTypeInfo(type).name;
  EXPECT_FALSE(CanMatMul(GgmlType::kQ5_K));
  EXPECT_FALSE(CanMatMul(GgmlType::kI32));
}

TEST(MatMulApiTest, GetRowsDecodesEmbeddings) {
  base::Random random(9);
  const int64_t cols = 256, rows = 10;
  for (GgmlType type : kTypes) {
    std::vector<uint8_t> w(GgmlRowBytes(type, cols) * rows);
    std::vector<float> src = RandomVector(random, cols * rows);
    for (int64_t r = 0; r < rows; ++r) {
      QuantizeRow(type, src.data() + r * cols, w.data() + r * GgmlRowBytes(type, cols), cols);
    }
    CpuKernels kernels(1, IsaLevel::kScalar);
    const int32_t ids[] = {7, 0, 7, 9};
    std::vector<float> out(4 * cols), expected(cols);
    kernels.GetRows(WeightMatrix::Dense(type, w.data(), cols, rows), ids, 4, out.data(), cols);
    for (int i = 0; i < 4; ++i) {
      DequantizeRow(type, w.data() + ids[i] * GgmlRowBytes(type, cols), expected.data(), cols);
      for (int64_t c = 0; c < cols; ++c) ASSERT_EQ(out[i * cols + c], expected[c]);
    }
  }
}

}  // namespace
}  // namespace tokenfab::kernels
