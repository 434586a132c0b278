// AVX2 packed-panel (prefill) matrix-matrix kernels: panels of 16 weight rows x 256 values are
// decoded exactly to float (with the reference decoders), packed column-major, and multiplied by a
// 16-row x 6-column micro-kernel (12 ymm accumulators) with the float activations read in place.
#include "kernels/avx2_common.h"
#include "kernels/kernel_table.h"
#include "tokenfab/kernels/quantize.h"

namespace tokenfab::kernels::internal {
namespace {

constexpr int kRows = 16;
constexpr int kCols = 6;
constexpr int kChunk = 256;  // a whole K-quant super-block
constexpr size_t kPanelBytes = kChunk * kRows * sizeof(float);
constexpr size_t kTmpBytes = kChunk * sizeof(float);

struct TypeInfo {
  GgmlType type;
  int64_t block_elements, block_bytes;
};
const TypeInfo kTypes[kNumMatTypes] = {{GgmlType::kF32, 1, 4},     {GgmlType::kF16, 1, 2},
                                       {GgmlType::kBF16, 1, 2},    {GgmlType::kQ8_0, 32, 34},
                                       {GgmlType::kQ4_0, 32, 18},  {GgmlType::kQ4_K, 256, 144},
                                       {GgmlType::kQ6_K, 256, 210}};

void Pack(const PanelArgs& a, int64_t r0, int64_t k0, int64_t kc, float* panel, float* tmp) {
  const TypeInfo& t = kTypes[a.type];
  for (int r = 0; r < kRows; ++r) {
    const int64_t row = r0 + r;
    if (row < a.rows) {
      const uint8_t* src = a.w + row * a.row_bytes + k0 / t.block_elements * t.block_bytes;
      DequantizeRow(t.type, src, tmp, kc);
      for (int64_t k = 0; k < kc; ++k) panel[k * kRows + r] = tmp[k];
    } else {
      for (int64_t k = 0; k < kc; ++k) panel[k * kRows + r] = 0.0f;
    }
  }
}

template <int NC>
void Micro(const float* panel, int64_t kc, const float* const* x, float* const* y, bool accumulate,
           int64_t valid_rows) {
  __m256 acc[2][kCols];
  for (int c = 0; c < NC; ++c) acc[0][c] = acc[1][c] = _mm256_setzero_ps();
  for (int64_t k = 0; k < kc; ++k, panel += kRows) {
    const __m256 w0 = _mm256_load_ps(panel), w1 = _mm256_load_ps(panel + 8);
    for (int c = 0; c < NC; ++c) {
      const __m256 b = _mm256_broadcast_ss(x[c] + k);
      acc[0][c] = _mm256_fmadd_ps(w0, b, acc[0][c]);
      acc[1][c] = _mm256_fmadd_ps(w1, b, acc[1][c]);
    }
  }
  for (int c = 0; c < NC; ++c) {
    for (int i = 0; i < 2; ++i) {
      const __m256i m = avx2::FirstLanes8(valid_rows - 8 * i);
      __m256 v = acc[i][c];
      if (accumulate) v = _mm256_add_ps(v, _mm256_maskload_ps(y[c] + 8 * i, m));
      _mm256_maskstore_ps(y[c] + 8 * i, m, v);
    }
  }
}

void Panel(const PanelArgs& a, int64_t row_begin, int64_t row_end, int64_t c0, int64_t c1,
           uint8_t* scratch) {
  float* panel = reinterpret_cast<float*>(scratch);
  float* tmp = reinterpret_cast<float*>(scratch + kPanelBytes);
  for (int64_t k0 = 0; k0 < a.k; k0 += kChunk) {
    for (int64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
      const int64_t valid_rows = avx2::MinI(kRows, a.rows - r0);
      const int64_t kc = avx2::MinI(kChunk, a.k - k0);
      Pack(a, r0, k0, kc, panel, tmp);
      for (int64_t c = c0; c < c1; c += kCols) {
        const int nc = static_cast<int>(avx2::MinI(kCols, c1 - c));
        const float* x[kCols];
        float* y[kCols];
        for (int i = 0; i < nc; ++i) {
          x[i] = reinterpret_cast<const float*>(a.act + (c + i) * a.act_stride) + k0;
          y[i] = a.y + (c + i) * a.y_stride + r0;
        }
        const bool accumulate = k0 > 0;
        switch (nc) {
          case 1:
            Micro<1>(panel, kc, x, y, accumulate, valid_rows);
            break;
          case 2:
            Micro<2>(panel, kc, x, y, accumulate, valid_rows);
            break;
          case 3:
            Micro<3>(panel, kc, x, y, accumulate, valid_rows);
            break;
          case 4:
            Micro<4>(panel, kc, x, y, accumulate, valid_rows);
            break;
          case 5:
            Micro<5>(panel, kc, x, y, accumulate, valid_rows);
            break;
          default:
            Micro<6>(panel, kc, x, y, accumulate, valid_rows);
            break;
        }
      }
    }
  }
}

}  // namespace

void FillAvx2Panels(KernelTable* table) {
  for (int type = 0; type < kNumMatTypes; ++type) {
    PanelKernel& p = table->panel[type];
    p.rounding = Rounding::kNone;
    p.panel_rows = kRows;
    p.scratch_bytes = kPanelBytes + kTmpBytes;
    p.col_group = 1;  // float activations read in place
    p.act_bytes = nullptr;
    p.prepare_group = nullptr;
    p.panel = Panel;
  }
}

}  // namespace tokenfab::kernels::internal
