// AVX-512 packed-panel (prefill) matrix-matrix kernels.
//
// A panel is 64 weight rows x one K chunk, decoded tile by tile (16 rows x 32 values in registers,
// transposed in registers) into a column-major layout in which one zmm load gives 16 rows at the
// same k: bf16 pairs (w[r][2p], w[r][2p+1]) for vdpbf16ps, or plain
// floats for FMA (F32 / F16 weights, kept exact). The micro-kernel keeps a 64-row x 6-column
// block of outputs in 24 zmm accumulators and, per k step, loads 4 panel vectors and broadcasts one
// activation value (pair) per column: every decoded weight is reused across all columns.
#include "kernels/avx512_common.h"
#include "kernels/kernel_table.h"
#include "kernels/q4k_scales.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {
namespace {

using avx512::FirstLanes16;
using avx512::HalfToFloat1;
using avx512::LoadU16;

constexpr int kRows = 64;        // rows per panel
constexpr int kCols = 6;         // columns per micro-tile
constexpr int kChunkBf16 = 256;  // K values per chunk (128 pairs)
constexpr int kChunkF32 = 128;
constexpr size_t kPanelBytes = 32 * 1024;  // 128 steps x 64 rows x 4 bytes
constexpr size_t kScratchBytes = kPanelBytes;
// Prepared activations (see PrepareGroup): a chunk of one column group is 128 steps x 6 columns.
constexpr int64_t kStepsPerChunk = 128;  // kChunkBf16 / 2 pairs, or kChunkF32 floats
constexpr int64_t kChunkGroupBytes = kStepsPerChunk * kCols * 4;

int64_t NumGroups(int64_t n_cols) { return (n_cols + kCols - 1) / kCols; }

// ---- Decoding tiles of 16 rows x 32 values (bf16 panels) or 16 values (f32 panels) ----------
//
// Decode<T>::Bf16(row, k, n) returns values [k, k + 32) of a row as 16 bf16 pairs (rounded to
// nearest even from the exactly decoded float, values past n zero); Decode<T>::F32(row, k, n)
// returns values [k, k + 16) as floats. k is a multiple of 32 (bf16) or 16 (f32).

inline __m512i PairsFromFloats(__m512 lo, __m512 hi) {
  return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
}

template <int T>
struct Decode;

// Per-row state a decoder keeps across the tiles of one super-block (none for most types).
struct NoCache {};
template <int T>
struct CacheOf {
  using Type = NoCache;
};

template <>
struct Decode<kMatF32> {
  static __m512 F32(const uint8_t* row, int64_t k, int64_t n) {
    return _mm512_maskz_loadu_ps(FirstLanes16(n), reinterpret_cast<const float*>(row) + k);
  }
};

template <>
struct Decode<kMatF16> {
  static __m512 F32(const uint8_t* row, int64_t k, int64_t n) {
    return _mm512_cvtph_ps(
        _mm256_maskz_loadu_epi16(FirstLanes16(n), reinterpret_cast<const uint16_t*>(row) + k));
  }
};

template <>
struct Decode<kMatBF16> {
  static __m512i Bf16(const uint8_t* row, int64_t k, int64_t n) {
    return _mm512_maskz_loadu_epi16(avx512::FirstLanes32(n),
                                    reinterpret_cast<const uint16_t*>(row) + k);
  }
};

template <>
struct Decode<kMatQ8_0> {
  static __m512i Bf16(const uint8_t* row, int64_t k, int64_t) {
    const BlockQ8_0& b = reinterpret_cast<const BlockQ8_0*>(row)[k / 32];
    const __m512 d = _mm512_set1_ps(HalfToFloat1(LoadU16(&b.d)));
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs));
    const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_castsi256_si128(q)));
    const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm256_extracti128_si256(q, 1)));
    return PairsFromFloats(_mm512_mul_ps(lo, d), _mm512_mul_ps(hi, d));
  }
};

template <>
struct Decode<kMatQ4_0> {
  static __m512i Bf16(const uint8_t* row, int64_t k, int64_t) {
    const BlockQ4_0& b = reinterpret_cast<const BlockQ4_0*>(row)[k / 32];
    const __m512 d = _mm512_set1_ps(HalfToFloat1(LoadU16(&b.d)));
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs));
    const __m128i k0f = _mm_set1_epi8(0x0f);
    const __m512i k8 = _mm512_set1_epi32(8);
    const __m512 lo =
        _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_and_si128(q, k0f)), k8));
    const __m512 hi = _mm512_cvtepi32_ps(
        _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(q, 4), k0f)), k8));
    return PairsFromFloats(_mm512_mul_ps(lo, d), _mm512_mul_ps(hi, d));
  }
};

template <>
struct Decode<kMatQ4_K> {
  // The steps (d * scale) and offsets (dmin * min) of one row's current super-block.
  struct Cache {
    float step[8], offset[8];
  };
  static void Refresh(const uint8_t* row, int64_t k, Cache* cache) {
    const BlockQ4_K& b = reinterpret_cast<const BlockQ4_K*>(row)[k / 256];
    uint8_t sm[16];
    UnpackQ4KScales(b.scales, sm);
    const float d = HalfToFloat1(b.d), dmin = HalfToFloat1(b.dmin);
    for (int j = 0; j < 8; ++j) {
      cache->step[j] = d * static_cast<float>(sm[j]);
      cache->offset[j] = dmin * static_cast<float>(sm[8 + j]);
    }
  }
  static __m512i Bf16(const uint8_t* row, int64_t k, int64_t, const Cache& cache) {
    const BlockQ4_K& b = reinterpret_cast<const BlockQ4_K*>(row)[k / 256];
    const int j = static_cast<int>(k % 256) / 32;  // sub-block
    const __m512 step = _mm512_set1_ps(cache.step[j]), offset = _mm512_set1_ps(cache.offset[j]);
    __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * (j / 2)));
    if (j % 2) q = _mm256_srli_epi16(q, 4);
    q = _mm256_and_si256(q, _mm256_set1_epi8(0x0f));
    const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(q)));
    const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm256_extracti128_si256(q, 1)));
    return PairsFromFloats(_mm512_sub_ps(_mm512_mul_ps(step, lo), offset),
                           _mm512_sub_ps(_mm512_mul_ps(step, hi), offset));
  }
};

template <>
struct Decode<kMatQ6_K> {
  static __m512i Bf16(const uint8_t* row, int64_t k, int64_t) {
    const BlockQ6_K& b = reinterpret_cast<const BlockQ6_K*>(row)[k / 256];
    const int e = static_cast<int>(k % 256), half = e / 128, part = (e % 128) / 32;
    const __m256i ql =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.ql + 64 * half + 32 * (part & 1)));
    const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * half));
    const __m256i lo4 =
        _mm256_and_si256(part < 2 ? ql : _mm256_srli_epi16(ql, 4), _mm256_set1_epi8(0x0f));
    const __m256i hi2 =
        _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * part)), _mm256_set1_epi8(3));
    const __m256i q = _mm256_or_si256(lo4, _mm256_slli_epi16(hi2, 4));
    const __m512i k32 = _mm512_set1_epi32(32);
    const float d = HalfToFloat1(b.d);
    const __m512 step_lo = _mm512_set1_ps(d * static_cast<float>(b.scales[e / 16]));
    const __m512 step_hi = _mm512_set1_ps(d * static_cast<float>(b.scales[e / 16 + 1]));
    const __m512 lo =
        _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(q)), k32));
    const __m512 hi = _mm512_cvtepi32_ps(
        _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm256_extracti128_si256(q, 1)), k32));
    return PairsFromFloats(_mm512_mul_ps(step_lo, lo), _mm512_mul_ps(step_hi, hi));
  }
};

template <>
struct CacheOf<kMatQ4_K> {
  using Type = Decode<kMatQ4_K>::Cache;
};

// ---- Packing -----------------------------------------------------------------------------------

// Transposes a 16 x 16 matrix of 32-bit values held one row per register.
__attribute__((always_inline)) inline void Transpose16x16(__m512i r[16]) {
  __m512i t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_epi32(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_epi32(r[2 * i], r[2 * i + 1]);
  }
  // u[g][j]: in 128-bit lane L, rows 4g..4g+3 of column 4L + j.
  __m512i u[4][4];
  for (int g = 0; g < 4; ++g) {
    u[g][0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
    u[g][1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
    u[g][2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
    u[g][3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
  }
  for (int j = 0; j < 4; ++j) {
    const __m512i a = _mm512_shuffle_i32x4(u[0][j], u[1][j], 0x44);
    const __m512i b = _mm512_shuffle_i32x4(u[0][j], u[1][j], 0xee);
    const __m512i c = _mm512_shuffle_i32x4(u[2][j], u[3][j], 0x44);
    const __m512i d = _mm512_shuffle_i32x4(u[2][j], u[3][j], 0xee);
    r[j] = _mm512_shuffle_i32x4(a, c, 0x88);       // column j
    r[4 + j] = _mm512_shuffle_i32x4(a, c, 0xdd);   // column 4 + j
    r[8 + j] = _mm512_shuffle_i32x4(b, d, 0x88);   // column 8 + j
    r[12 + j] = _mm512_shuffle_i32x4(b, d, 0xdd);  // column 12 + j
  }
}

// Decodes rows [r0, r0 + 64) x [k0, k0 + kc) into `panel` ([steps][64] 32-bit: bf16 pairs or
// floats); rows past `rows` and values past kc are zero.
template <int T, bool kBf16>
void Pack(const PanelArgs& a, int64_t r0, int64_t k0, int64_t kc, uint32_t* panel) {
  const int64_t per_tile = kBf16 ? 32 : 16;  // k values per 16 x 16 tile
  const int64_t tiles = (kc + per_tile - 1) / per_tile;
  for (int g = 0; g < kRows / 16; ++g) {
    const int64_t first = r0 + 16 * g;
    const int valid = static_cast<int>(avx512::MinI(16, a.rows - first));
    [[maybe_unused]] typename CacheOf<T>::Type cache[16];
    for (int64_t tile = 0; tile < tiles; ++tile) {
      const int64_t k = k0 + tile * per_tile, n = kc - tile * per_tile;
      __m512i v[16];
      for (int r = 0; r < 16; ++r) {
        if (r >= valid) {
          v[r] = _mm512_setzero_si512();
        } else if constexpr (T == kMatQ4_K) {
          const uint8_t* row = a.w + (first + r) * a.row_bytes;
          if (k % 256 == 0 || tile == 0) Decode<T>::Refresh(row, k, &cache[r]);
          v[r] = Decode<T>::Bf16(row, k, n, cache[r]);
        } else if constexpr (kBf16) {
          v[r] = Decode<T>::Bf16(a.w + (first + r) * a.row_bytes, k, n);
        } else {
          v[r] = _mm512_castps_si512(Decode<T>::F32(a.w + (first + r) * a.row_bytes, k, n));
        }
      }
      Transpose16x16(v);
      for (int s = 0; s < 16; ++s)
        _mm512_store_si512(panel + (tile * 16 + s) * kRows + 16 * g, v[s]);
    }
  }
}

// ---- Micro-kernels -----------------------------------------------------------------------------

template <int NC>
void StoreTile(__m512 acc[4][kCols], float* const* y, bool accumulate, int64_t valid_rows) {
  for (int c = 0; c < NC; ++c) {
    for (int i = 0; i < 4; ++i) {
      const __mmask16 m = FirstLanes16(valid_rows - 16 * i);
      if (m == 0) continue;
      __m512 v = acc[i][c];
      if (accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, y[c] + 16 * i));
      _mm512_mask_storeu_ps(y[c] + 16 * i, m, v);
    }
  }
}

// act: the column group's pairs from this chunk on, kCols per step (interleaved).
template <int NC>
void MicroBf16(const uint32_t* panel, int64_t steps, const uint32_t* act, float* const* y,
               bool accumulate, int64_t valid_rows) {
  __m512 acc[4][kCols];
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < NC; ++c) acc[i][c] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < steps; ++p, panel += kRows, act += kCols) {
    __m512bh w[4];
    for (int i = 0; i < 4; ++i)
      w[i] = reinterpret_cast<__m512bh>(_mm512_load_si512(panel + 16 * i));
    for (int c = 0; c < NC; ++c) {
      const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(act[c])));
      for (int i = 0; i < 4; ++i) acc[i][c] = _mm512_dpbf16_ps(acc[i][c], w[i], x);
    }
  }
  StoreTile<NC>(acc, y, accumulate, valid_rows);
}

template <int NC>
void MicroF32(const uint32_t* panel, int64_t steps, const float* act, float* const* y,
              bool accumulate, int64_t valid_rows) {
  __m512 acc[4][kCols];
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < NC; ++c) acc[i][c] = _mm512_setzero_ps();
  }
  const float* p = reinterpret_cast<const float*>(panel);
  for (int64_t k = 0; k < steps; ++k, p += kRows, act += kCols) {
    __m512 w[4];
    for (int i = 0; i < 4; ++i) w[i] = _mm512_load_ps(p + 16 * i);
    for (int c = 0; c < NC; ++c) {
      const __m512 x = _mm512_set1_ps(act[c]);
      for (int i = 0; i < 4; ++i) acc[i][c] = _mm512_fmadd_ps(w[i], x, acc[i][c]);
    }
  }
  StoreTile<NC>(acc, y, accumulate, valid_rows);
}

template <bool kBf16, int NC>
void Micro(const uint32_t* panel, int64_t steps, const uint8_t* group, int64_t k0, float* const* y,
           bool accumulate, int64_t valid_rows) {
  if (kBf16) {
    MicroBf16<NC>(panel, steps, reinterpret_cast<const uint32_t*>(group), y, accumulate,
                  valid_rows);
  } else {
    MicroF32<NC>(panel, steps, reinterpret_cast<const float*>(group), y, accumulate, valid_rows);
  }
}

template <int T, bool kBf16>
void Panel(const PanelArgs& a, int64_t row_begin, int64_t row_end, int64_t c0, int64_t c1,
           uint8_t* scratch) {
  uint32_t* panel = reinterpret_cast<uint32_t*>(scratch);
  const int64_t chunk = kBf16 ? kChunkBf16 : kChunkF32;
  for (int64_t k0 = 0; k0 < a.k; k0 += chunk) {
    for (int64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
      const int64_t valid_rows = avx512::MinI(kRows, a.rows - r0);
      const int64_t kc = avx512::MinI(chunk, a.k - k0);
      Pack<T, kBf16>(a, r0, k0, kc, panel);
      const int64_t steps = kBf16 ? (kc + 1) / 2 : kc;
      for (int64_t c = c0; c < c1; c += kCols) {
        const int nc = static_cast<int>(avx512::MinI(kCols, c1 - c));
        const uint8_t* group =
            a.act + (k0 / chunk * NumGroups(a.n_cols) + c / kCols) * kChunkGroupBytes;
        float* y[kCols];
        for (int i = 0; i < nc; ++i) y[i] = a.y + (c + i) * a.y_stride + r0;
        const bool accumulate = k0 > 0;
        switch (nc) {
          case 1:
            Micro<kBf16, 1>(panel, steps, group, k0, y, accumulate, valid_rows);
            break;
          case 2:
            Micro<kBf16, 2>(panel, steps, group, k0, y, accumulate, valid_rows);
            break;
          case 3:
            Micro<kBf16, 3>(panel, steps, group, k0, y, accumulate, valid_rows);
            break;
          case 4:
            Micro<kBf16, 4>(panel, steps, group, k0, y, accumulate, valid_rows);
            break;
          case 5:
            Micro<kBf16, 5>(panel, steps, group, k0, y, accumulate, valid_rows);
            break;
          default:
            Micro<kBf16, 6>(panel, steps, group, k0, y, accumulate, valid_rows);
            break;
        }
      }
    }
  }
}

// Prepared activations: chunk-major, then column group, then step, interleaved across the group's
// kCols columns: bf16 pair p of column j of chunk c and group g at
// base + (c * n_groups + g) * kChunkGroupBytes + (p * kCols + j) * 4 (k zero-padded to whole
// chunks); floats likewise with one value per step. One chunk of all groups is contiguous, so the
// micro-kernels of a chunk stream through it sequentially.

int64_t Bf16ActBytes(int64_t k, int64_t n_cols) {
  return (k + kChunkBf16 - 1) / kChunkBf16 * NumGroups(n_cols) * kChunkGroupBytes;
}
int64_t F32ActBytes(int64_t k, int64_t n_cols) {
  return (k + kChunkF32 - 1) / kChunkF32 * NumGroups(n_cols) * kChunkGroupBytes;
}

// Scatters 16 per-column vectors of 32-bit values (16 steps) into the interleaved layout.
void Interleave(const __m512i* columns, int n, uint32_t* out) {
  alignas(64) uint32_t tmp[kCols][16];
  for (int j = 0; j < kCols; ++j) {
    _mm512_store_si512(tmp[j], j < n ? columns[j] : _mm512_setzero_si512());
  }
  for (int s = 0; s < 16; ++s) {
    for (int j = 0; j < kCols; ++j) out[s * kCols + j] = tmp[j][s];
  }
}

// 16 steps of column data from value i on: bf16 pairs of values [i, i + 32) or floats [i, i + 16).
template <bool kBf16>
__m512i ColumnSteps(const float* x, int64_t k, int64_t i) {
  if (kBf16) {
    const __m512 lo = _mm512_maskz_loadu_ps(FirstLanes16(k - i), x + i);
    const __m512 hi = _mm512_maskz_loadu_ps(FirstLanes16(k - i - 16), x + i + 16);
    return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
  }
  return _mm512_castps_si512(_mm512_maskz_loadu_ps(FirstLanes16(k - i), x + i));
}

template <bool kBf16>
void PrepareGroup(const float* x, int64_t x_stride, int n, int64_t k, int64_t group, int64_t n_cols,
                  uint8_t* base) {
  const int64_t chunk = kBf16 ? kChunkBf16 : kChunkF32;
  const int64_t per_16_steps = kBf16 ? 32 : 16;  // values per 16 steps
  const int64_t n_groups = NumGroups(n_cols);
  for (int64_t c = 0; c * chunk < k; ++c) {
    uint32_t* out = reinterpret_cast<uint32_t*>(base + (c * n_groups + group) * kChunkGroupBytes);
    for (int64_t s = 0; s < kStepsPerChunk; s += 16, out += 16 * kCols) {
      const int64_t i = c * chunk + s / 16 * per_16_steps;
      __m512i columns[kCols];
      for (int j = 0; j < n; ++j) columns[j] = ColumnSteps<kBf16>(x + j * x_stride, k, i);
      Interleave(columns, i < k ? n : 0, out);
    }
  }
}

}  // namespace

void FillAvx512Panels(KernelTable* table) {
  using PanelFn = void (*)(const PanelArgs&, int64_t, int64_t, int64_t, int64_t, uint8_t*);
  const PanelFn panels[kNumMatTypes] = {
      Panel<kMatF32, false>, Panel<kMatF16, false>, Panel<kMatBF16, true>, Panel<kMatQ8_0, true>,
      Panel<kMatQ4_0, true>, Panel<kMatQ4_K, true>, Panel<kMatQ6_K, true>};
  for (int type = 0; type < kNumMatTypes; ++type) {
    PanelKernel& p = table->panel[type];
    p.panel_rows = kRows;
    p.scratch_bytes = kScratchBytes;
    p.panel = panels[type];
    p.col_group = kCols;
    if (type == kMatF32 || type == kMatF16) {
      p.rounding = Rounding::kNone;
      p.act_bytes = F32ActBytes;
      p.prepare_group = PrepareGroup<false>;
    } else {
      p.rounding = type == kMatBF16 ? Rounding::kBf16Act : Rounding::kBf16Both;
      p.act_bytes = Bf16ActBytes;
      p.prepare_group = PrepareGroup<true>;
    }
  }
}

}  // namespace tokenfab::kernels::internal
