// AVX-512 packed-panel (prefill) matrix-matrix kernels.
//
// A panel is 64 weight rows x one K chunk, decoded to float, then packed column-major so that one
// zmm load gives 16 rows at the same k: bf16 pairs (w[r][2p], w[r][2p+1]) for vdpbf16ps, or plain
// floats for FMA (F32 / F16 weights, kept exact). The micro-kernel keeps a 64-row x 6-column
// block of outputs in 24 zmm accumulators and, per k step, loads 4 panel vectors and broadcasts one
// activation value (pair) per column: every decoded weight is reused across all columns.
#include "kernels/avx512_common.h"
#include "kernels/kernel_table.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {
namespace {

using avx512::FirstLanes16;
using avx512::HalfToFloat1;
using avx512::LoadU16;

constexpr int kRows = 64;      // rows per panel
constexpr int kCols = 6;       // columns per micro-tile
constexpr int kChunkBf16 = 256;  // K values per chunk (128 pairs)
constexpr int kChunkF32 = 128;
constexpr size_t kPanelBytes = 32 * 1024;                 // 128 steps x 64 rows x 4 bytes
constexpr size_t kTmpBytes = 16 * kChunkBf16 * sizeof(float);  // 16 decoded rows
constexpr size_t kScratchBytes = kPanelBytes + kTmpBytes;

// ---- Decoding a row segment [k0, k0 + n) to float ----------------------------------------------

using DecodeFn = void (*)(const uint8_t* row, int64_t k0, int64_t n, float* out);

void DecodeF32(const uint8_t* row, int64_t k0, int64_t n, float* out) {
  memcpy(out, reinterpret_cast<const float*>(row) + k0, n * sizeof(float));
}

void DecodeF16(const uint8_t* row, int64_t k0, int64_t n, float* out) {
  const uint16_t* w = reinterpret_cast<const uint16_t*>(row) + k0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    _mm512_mask_storeu_ps(out + i, m, _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + i)));
  }
}

void DecodeBf16(const uint8_t* row, int64_t k0, int64_t n, float* out) {
  const uint16_t* w = reinterpret_cast<const uint16_t*>(row) + k0;
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    const __m512i wide = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, w + i));
    _mm512_mask_storeu_ps(out + i, m, _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16)));
  }
}

void DecodeQ8_0(const uint8_t* row, int64_t k0, int64_t n, float* out) {
  const BlockQ8_0* w = reinterpret_cast<const BlockQ8_0*>(row) + k0 / 32;
  for (int64_t b = 0; b < n / 32; ++b, out += 32) {
    const __m512 d = _mm512_set1_ps(HalfToFloat1(LoadU16(&w[b].d)));
    for (int h = 0; h < 2; ++h) {
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs + 16 * h));
      _mm512_storeu_ps(out + 16 * h, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), d));
    }
  }
}

void DecodeQ4_0(const uint8_t* row, int64_t k0, int64_t n, float* out) {
  const BlockQ4_0* w = reinterpret_cast<const BlockQ4_0*>(row) + k0 / 32;
  const __m128i k0f = _mm_set1_epi8(0x0f);
  const __m512i k8 = _mm512_set1_epi32(8);
  for (int64_t b = 0; b < n / 32; ++b, out += 32) {
    const __m512 d = _mm512_set1_ps(HalfToFloat1(LoadU16(&w[b].d)));
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    const __m128i halves[2] = {_mm_and_si128(q, k0f), _mm_and_si128(_mm_srli_epi16(q, 4), k0f)};
    for (int h = 0; h < 2; ++h) {
      const __m512i v = _mm512_sub_epi32(_mm512_cvtepu8_epi32(halves[h]), k8);
      _mm512_storeu_ps(out + 16 * h, _mm512_mul_ps(_mm512_cvtepi32_ps(v), d));
    }
  }
}

void DecodeQ4_K(const uint8_t* row, int64_t k0, int64_t n, float* out) {
  const BlockQ4_K* w = reinterpret_cast<const BlockQ4_K*>(row) + k0 / 256;
  const __m128i k0f = _mm_set1_epi8(0x0f);
  for (int64_t b = 0; b < n / 256; ++b) {
    alignas(16) uint8_t sm[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(sm), avx512::Q4KScalesMins(w[b].scales));
    const float d = HalfToFloat1(w[b].d), dmin = HalfToFloat1(w[b].dmin);
    for (int j = 0; j < 8; ++j, out += 32) {
      const __m512 step = _mm512_set1_ps(d * static_cast<float>(sm[j]));
      const __m512 offset = _mm512_set1_ps(dmin * static_cast<float>(sm[8 + j]));
      for (int h = 0; h < 2; ++h) {
        __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs + 32 * (j / 2) + 16 * h));
        if (j % 2) q = _mm_srli_epi16(q, 4);
        const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(q, k0f)));
        _mm512_storeu_ps(out + 16 * h, _mm512_sub_ps(_mm512_mul_ps(step, v), offset));
      }
    }
  }
}

void DecodeQ6_K(const uint8_t* row, int64_t k0, int64_t n, float* out) {
  const BlockQ6_K* w = reinterpret_cast<const BlockQ6_K*>(row) + k0 / 256;
  const __m128i k0f = _mm_set1_epi8(0x0f), k03 = _mm_set1_epi8(3);
  const __m512i k32 = _mm512_set1_epi32(32);
  for (int64_t b = 0; b < n / 256; ++b) {
    const float d = HalfToFloat1(w[b].d);
    for (int half = 0; half < 2; ++half) {
      for (int part = 0; part < 4; ++part) {
        for (int l0 = 0; l0 < 32; l0 += 16, out += 16) {
          const __m128i ql = _mm_loadu_si128(
              reinterpret_cast<const __m128i*>(w[b].ql + 64 * half + 32 * (part & 1) + l0));
          const __m128i qh = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qh + 32 * half + l0));
          const __m128i lo = _mm_and_si128(part < 2 ? ql : _mm_srli_epi16(ql, 4), k0f);
          const __m128i hi = _mm_and_si128(_mm_srl_epi16(qh, _mm_cvtsi32_si128(2 * part)), k03);
          const __m128i q = _mm_or_si128(lo, _mm_slli_epi16(hi, 4));
          const int e = 128 * half + 32 * part + l0;
          const __m512 step = _mm512_set1_ps(d * static_cast<float>(w[b].scales[e / 16]));
          const __m512i v = _mm512_sub_epi32(_mm512_cvtepu8_epi32(q), k32);
          _mm512_storeu_ps(out, _mm512_mul_ps(step, _mm512_cvtepi32_ps(v)));
        }
      }
    }
  }
}

const DecodeFn kDecode[kNumMatTypes] = {DecodeF32,  DecodeF16,  DecodeBf16, DecodeQ8_0,
                                        DecodeQ4_0, DecodeQ4_K, DecodeQ6_K};

// ---- Packing -----------------------------------------------------------------------------------

// Transposes a 16 x 16 matrix of 32-bit values held one row per register.
void Transpose16x16(__m512i r[16]) {
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
template <bool kBf16>
void Pack(const PanelArgs& a, int64_t r0, int64_t k0, int64_t kc, uint32_t* panel, float* tmp) {
  const int64_t chunk = kBf16 ? kChunkBf16 : kChunkF32;
  const int64_t per_tile = kBf16 ? 32 : 16;  // k values per 16 x 16 tile
  const int64_t tiles = (kc + per_tile - 1) / per_tile;
  for (int g = 0; g < kRows / 16; ++g) {
    for (int r = 0; r < 16; ++r) {
      float* out = tmp + r * chunk;
      const int64_t row = r0 + 16 * g + r;
      if (row < a.rows) {
        kDecode[a.type](a.w + row * a.row_bytes, k0, kc, out);
        avx512::ZeroFloats(out + kc, tiles * per_tile - kc);
      } else {
        avx512::ZeroFloats(out, tiles * per_tile);
      }
    }
    for (int64_t tile = 0; tile < tiles; ++tile) {
      __m512i v[16];
      for (int r = 0; r < 16; ++r) {
        const float* src = tmp + r * chunk + tile * per_tile;
        if (kBf16) {
          v[r] = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + 16), _mm512_loadu_ps(src)));
        } else {
          v[r] = _mm512_castps_si512(_mm512_loadu_ps(src));
        }
      }
      Transpose16x16(v);
      for (int s = 0; s < 16; ++s) {
        _mm512_store_si512(panel + (tile * 16 + s) * kRows + 16 * g, v[s]);
      }
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

template <int NC>
void MicroBf16(const uint32_t* panel, int64_t steps, const uint32_t* const* act, float* const* y,
               bool accumulate, int64_t valid_rows) {
  __m512 acc[4][kCols];
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < NC; ++c) acc[i][c] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < steps; ++p, panel += kRows) {
    __m512bh w[4];
    for (int i = 0; i < 4; ++i) w[i] = reinterpret_cast<__m512bh>(_mm512_load_si512(panel + 16 * i));
    for (int c = 0; c < NC; ++c) {
      const __m512bh x = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(act[c][p])));
      for (int i = 0; i < 4; ++i) acc[i][c] = _mm512_dpbf16_ps(acc[i][c], w[i], x);
    }
  }
  StoreTile<NC>(acc, y, accumulate, valid_rows);
}

template <int NC>
void MicroF32(const uint32_t* panel, int64_t steps, const float* const* act, float* const* y,
              bool accumulate, int64_t valid_rows) {
  __m512 acc[4][kCols];
  for (int i = 0; i < 4; ++i) {
    for (int c = 0; c < NC; ++c) acc[i][c] = _mm512_setzero_ps();
  }
  const float* p = reinterpret_cast<const float*>(panel);
  for (int64_t k = 0; k < steps; ++k, p += kRows) {
    __m512 w[4];
    for (int i = 0; i < 4; ++i) w[i] = _mm512_load_ps(p + 16 * i);
    for (int c = 0; c < NC; ++c) {
      const __m512 x = _mm512_set1_ps(act[c][k]);
      for (int i = 0; i < 4; ++i) acc[i][c] = _mm512_fmadd_ps(w[i], x, acc[i][c]);
    }
  }
  StoreTile<NC>(acc, y, accumulate, valid_rows);
}

template <bool kBf16, int NC>
void Micro(const uint32_t* panel, int64_t steps, const uint8_t* const* act, int64_t k0,
           float* const* y, bool accumulate, int64_t valid_rows) {
  if (kBf16) {
    const uint32_t* a[kCols];
    for (int c = 0; c < NC; ++c) a[c] = reinterpret_cast<const uint32_t*>(act[c]) + k0 / 2;
    MicroBf16<NC>(panel, steps, a, y, accumulate, valid_rows);
  } else {
    const float* a[kCols];
    for (int c = 0; c < NC; ++c) a[c] = reinterpret_cast<const float*>(act[c]) + k0;
    MicroF32<NC>(panel, steps, a, y, accumulate, valid_rows);
  }
}

template <bool kBf16>
void Panel(const PanelArgs& a, int64_t r0, int64_t c0, int64_t c1, uint8_t* scratch) {
  uint32_t* panel = reinterpret_cast<uint32_t*>(scratch);
  float* tmp = reinterpret_cast<float*>(scratch + kPanelBytes);
  const int64_t chunk = kBf16 ? kChunkBf16 : kChunkF32;
  const int64_t valid_rows = avx512::MinI(kRows, a.rows - r0);
  for (int64_t k0 = 0; k0 < a.k; k0 += chunk) {
    const int64_t kc = avx512::MinI(chunk, a.k - k0);
    Pack<kBf16>(a, r0, k0, kc, panel, tmp);
    const int64_t steps = kBf16 ? (kc + 1) / 2 : kc;
    for (int64_t c = c0; c < c1; c += kCols) {
      const int nc = static_cast<int>(avx512::MinI(kCols, c1 - c));
      const uint8_t* act[kCols];
      float* y[kCols];
      for (int i = 0; i < nc; ++i) {
        act[i] = a.act + (c + i) * a.act_stride;
        y[i] = a.y + (c + i) * a.y_stride + r0;
      }
      const bool accumulate = k0 > 0;
      switch (nc) {
        case 1:
          Micro<kBf16, 1>(panel, steps, act, k0, y, accumulate, valid_rows);
          break;
        case 2:
          Micro<kBf16, 2>(panel, steps, act, k0, y, accumulate, valid_rows);
          break;
        case 3:
          Micro<kBf16, 3>(panel, steps, act, k0, y, accumulate, valid_rows);
          break;
        case 4:
          Micro<kBf16, 4>(panel, steps, act, k0, y, accumulate, valid_rows);
          break;
        case 5:
          Micro<kBf16, 5>(panel, steps, act, k0, y, accumulate, valid_rows);
          break;
        default:
          Micro<kBf16, 6>(panel, steps, act, k0, y, accumulate, valid_rows);
          break;
      }
    }
  }
}

int64_t Bf16Bytes(int64_t k) { return (k + 31) / 32 * 64; }

// Rounds k floats to bf16 (nearest even), zero-padded to a multiple of 32.
void PrepareBf16(const float* x, int64_t k, uint8_t* out) {
  for (int64_t i = 0; i < k; i += 32) {
    const __m512 lo = _mm512_maskz_loadu_ps(FirstLanes16(k - i), x + i);
    const __m512 hi = _mm512_maskz_loadu_ps(FirstLanes16(k - i - 16), x + i + 16);
    _mm512_storeu_si512(out + 2 * i, reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo)));
  }
}

}  // namespace

void FillAvx512Panels(KernelTable* table) {
  for (int type = 0; type < kNumMatTypes; ++type) {
    PanelKernel& p = table->panel[type];
    p.panel_rows = kRows;
    p.scratch_bytes = kScratchBytes;
    if (type == kMatF32 || type == kMatF16) {
      p.rounding = Rounding::kNone;
      p.act_bytes = nullptr;  // the micro-kernel reads the float activations in place
      p.prepare = nullptr;
      p.panel = Panel<false>;
    } else {
      p.rounding = type == kMatBF16 ? Rounding::kBf16Act : Rounding::kBf16Both;
      p.act_bytes = Bf16Bytes;
      p.prepare = PrepareBf16;
      p.panel = Panel<true>;
    }
  }
}

}  // namespace tokenfab::kernels::internal
