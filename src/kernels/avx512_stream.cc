// AVX-512 streaming (decode) matrix-vector kernels: each weight row is read once and multiplied
// with up to four activation columns from the same registers.
//
//   Q8_0 / Q4_0: activations quantised per 32 (act_quant.h rounding) into 192-byte pairs of blocks
//     {int8 qs[64], int32 init[16], float dvec[16]}; a zmm holds two weight blocks, vpdpbusd
//     multiplies unsigned weight bytes (Q8_0: q ^ 0x80 = q + 128; Q4_0: the raw nibble q) with the
//     signed activations, starting from `init`, which holds -128 (resp. -8) times the block's
//     activation sum, so the lanes sum to the signed dot product. Q4_0 pairs keep the activations
//     in nibble order [b0 0..15, b1 0..15, b0 16..31, b1 16..31].
//   Q4_K / Q6_K: ActQ8K activations; vpmaddubsw then vpdpwssd with the sub-block scales, the
//     mins (Q4_K) and the -32 offset (Q6_K) from the activation block sums.
//   F16 / F32: vcvtph2ps / loads and FMA with the float activations; BF16: vdpbf16ps with the
//     activations rounded to bf16.
#include "kernels/act_quant.h"
#include "kernels/avx512_common.h"
#include "kernels/kernel_table.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {
namespace {

using avx512::FirstLanes16;
using avx512::FirstLanes32;
using avx512::HalfToFloat1;
using avx512::LoadHalves;
using avx512::LoadU16;

constexpr int kMaxCols = 4;

struct alignas(64) Pair {
  int8_t qs[64];
  int32_t init[16];
  float dvec[16];
};
static_assert(sizeof(Pair) == 192);

int64_t PairBytes(int64_t k) { return (k + 63) / 64 * static_cast<int64_t>(sizeof(Pair)); }

// Quantises 32 floats (d = max|x| / 127, round half to even); returns d, writes q and their sum.
float Quantize32(const float* x, __m512i* q0, __m512i* q1, int32_t* sum) {
  const __m512 x0 = _mm512_loadu_ps(x), x1 = _mm512_loadu_ps(x + 16);
  const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
  const float d = amax / 127.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  *q0 = _mm512_cvtps_epi32(_mm512_mul_ps(x0, _mm512_set1_ps(id)));
  *q1 = _mm512_cvtps_epi32(_mm512_mul_ps(x1, _mm512_set1_ps(id)));
  *sum = _mm512_reduce_add_epi32(_mm512_add_epi32(*q0, *q1));
  return d;
}

template <bool kNibbleOrder>
void PreparePairs(const float* x, int64_t k, uint8_t* out) {
  const int64_t nb = k / 32;
  Pair* pairs = reinterpret_cast<Pair*>(out);
  for (int64_t p = 0; p < (nb + 1) / 2; ++p) {
    Pair& pair = pairs[p];
    memset(&pair, 0, sizeof(pair));
    for (int h = 0; h < 2 && 2 * p + h < nb; ++h) {
      __m512i q0, q1;
      int32_t sum;
      const float d = Quantize32(x + 32 * (2 * p + h), &q0, &q1, &sum);
      const __m128i b0 = _mm512_cvtepi32_epi8(q0), b1 = _mm512_cvtepi32_epi8(q1);
      if (kNibbleOrder) {  // Q4_0: low nibbles hold elements 0..15, high nibbles 16..31
        _mm_storeu_si128(reinterpret_cast<__m128i*>(pair.qs + 16 * h), b0);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(pair.qs + 32 + 16 * h), b1);
        pair.init[4 * h] = -8 * sum;
        for (int lane : {0, 8}) {
          for (int i = 0; i < 4; ++i) pair.dvec[lane + 4 * h + i] = d;
        }
      } else {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(pair.qs + 32 * h), b0);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(pair.qs + 32 * h + 16), b1);
        pair.init[8 * h] = -128 * sum;
        for (int i = 0; i < 8; ++i) pair.dvec[8 * h + i] = d;
      }
    }
  }
}

void PrepareQ8_0(const float* x, int64_t k, uint8_t* out) { PreparePairs<false>(x, k, out); }
void PrepareQ4_0(const float* x, int64_t k, uint8_t* out) { PreparePairs<true>(x, k, out); }

int64_t ActQ8KBytesFn(int64_t k) { return ActQ8KBytes(k); }

void PrepareQ8K(const float* x, int64_t k, uint8_t* out) {
  ActQ8K* blocks = reinterpret_cast<ActQ8K*>(out);
  for (int64_t b = 0; b < k / kActSuperBlock; ++b, x += kActSuperBlock) {
    __m512 amax = _mm512_setzero_ps();
    for (int i = 0; i < 256; i += 16) amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
    const float d = _mm512_reduce_max_ps(amax) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    ActQ8K& a = blocks[b];
    a.d = d;
    for (int g = 0; g < 16; ++g) {
      const __m512i q = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * g), _mm512_set1_ps(id)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a.qs + 16 * g), _mm512_cvtepi32_epi8(q));
      a.bsums[g] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    for (int g = 0; g < 8; ++g) a.bsums32[g] = static_cast<int16_t>(a.bsums[2 * g] + a.bsums[2 * g + 1]);
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

// ---- Kernels: one weight row times NC activation columns -------------------------------------

struct Q8_0Kernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ8_0* w = reinterpret_cast<const BlockQ8_0*>(row);
    const int64_t nb = k / 32;
    const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
    __m512 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b += 2) {
      const bool pair = b + 1 < nb;
      const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
      const __m256i w1 =
          pair ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b + 1].qs)) : _mm256_setzero_si256();
      const __m512i wu = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(w0), w1, 1), k80);
      const short d0 = static_cast<short>(LoadU16(&w[b].d));
      const short d1 = pair ? static_cast<short>(LoadU16(&w[b + 1].d)) : d0;
      const __m512 dw = _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16(d1), _mm_set1_epi16(d0)));
      for (int c = 0; c < NC; ++c) {
        const Pair& a = reinterpret_cast<const Pair*>(act[c])[b / 2];
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_load_si512(a.init), wu, _mm512_load_si512(a.qs));
        acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, _mm512_load_ps(a.dvec)), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(acc[c]);
  }
};

struct Q4_0Kernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ4_0* w = reinterpret_cast<const BlockQ4_0*>(row);
    const int64_t nb = k / 32;
    const __m256i k0f = _mm256_set1_epi8(0x0f);
    __m512 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < nb; b += 2) {
      const bool pair = b + 1 < nb;
      const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
      const __m128i q1 =
          pair ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b + 1].qs)) : _mm_setzero_si128();
      const __m256i q = _mm256_set_m128i(q1, q0);
      const __m256i lo = _mm256_and_si256(q, k0f);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), k0f);
      const __m512i wq = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      const short d0 = static_cast<short>(LoadU16(&w[b].d));
      const short d1 = pair ? static_cast<short>(LoadU16(&w[b + 1].d)) : d0;
      const __m256 d8 = _mm256_cvtph_ps(_mm_unpacklo_epi64(_mm_set1_epi16(d0), _mm_set1_epi16(d1)));
      const __m512 dw = _mm512_broadcast_f32x8(d8);
      for (int c = 0; c < NC; ++c) {
        const Pair& a = reinterpret_cast<const Pair*>(act[c])[b / 2];
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_load_si512(a.init), wq, _mm512_load_si512(a.qs));
        acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dw, _mm512_load_ps(a.dvec)), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(acc[c]);
  }
};

// vpermw indices: Q4_K chunk j takes scale 2j for its first 32 int16 products... see below.
alignas(64) const int16_t kQ4KScaleIndex[4][32] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5},
    {6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}};

// Q6_K group g (values 64g..64g+63, sub-blocks 4g..4g+3): 8 int16 products per sub-block.
alignas(64) const int16_t kQ6KScaleIndex[4][32] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15}};

struct Q4_KKernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ4_K* w = reinterpret_cast<const BlockQ4_K*>(row);
    const __m256i k0f = _mm256_set1_epi8(0x0f);
    __m512 acc[NC];
    __m128 acc_min[NC];
    for (int c = 0; c < NC; ++c) {
      acc[c] = _mm512_setzero_ps();
      acc_min[c] = _mm_setzero_ps();
    }
    for (int64_t b = 0; b < k / 256; ++b) {
      const BlockQ4_K& x = w[b];
      const __m256i scales_mins = _mm256_cvtepu8_epi16(avx512::Q4KScalesMins(x.scales));
      const __m128i mins = _mm256_extracti128_si256(scales_mins, 1);
      const __m512i scales = _mm512_castsi256_si512(scales_mins);
      __m512i wq[4], sc[4];
      for (int j = 0; j < 4; ++j) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
        const __m256i lo = _mm256_and_si256(q, k0f);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), k0f);
        wq[j] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
        sc[j] = _mm512_permutexvar_epi16(_mm512_load_si512(kQ4KScaleIndex[j]), scales);
      }
      const float d = HalfToFloat1(x.d), dmin = HalfToFloat1(x.dmin);
      for (int c = 0; c < NC; ++c) {
        const ActQ8K& a = reinterpret_cast<const ActQ8K*>(act[c])[b];
        __m512i dot = _mm512_setzero_si512();
        for (int j = 0; j < 4; ++j) {
          dot = _mm512_dpwssd_epi32(dot, _mm512_maddubs_epi16(wq[j], _mm512_load_si512(a.qs + 64 * j)), sc[j]);
        }
        const __m128i msum = _mm_madd_epi16(mins, _mm_load_si128(reinterpret_cast<const __m128i*>(a.bsums32)));
        acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_set1_ps(d * a.d), acc[c]);
        acc_min[c] = _mm_fmadd_ps(_mm_cvtepi32_ps(msum), _mm_set1_ps(dmin * a.d), acc_min[c]);
      }
    }
    for (int c = 0; c < NC; ++c) {
      __m128 m = _mm_add_ps(acc_min[c], _mm_movehl_ps(acc_min[c], acc_min[c]));
      m = _mm_add_ss(m, _mm_movehdup_ps(m));
      out[c] = _mm512_reduce_add_ps(acc[c]) - _mm_cvtss_f32(m);
    }
  }
};

struct Q6_KKernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ6_K* w = reinterpret_cast<const BlockQ6_K*>(row);
    const __m512i k0f = _mm512_set1_epi8(0x0f), k30 = _mm512_set1_epi8(0x30);
    const __m512i shift_a = _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4);  // left: bits 0-1 / 2-3 -> 4-5
    const __m512i shift_b = _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);  // right: bits 4-5 / 6-7 -> 4-5
    __m512 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
    for (int64_t b = 0; b < k / 256; ++b) {
      const BlockQ6_K& x = w[b];
      const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
      const __m512i scales = _mm512_castsi256_si512(scales16);
      __m512i wq[4], sc[4];
      for (int n = 0; n < 2; ++n) {
        const __m512i ql = _mm512_loadu_si512(x.ql + 64 * n);
        const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh + 32 * n)));
        wq[2 * n] = _mm512_or_si512(_mm512_and_si512(ql, k0f), _mm512_and_si512(_mm512_sllv_epi64(qh, shift_a), k30));
        wq[2 * n + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), k0f),
                                        _mm512_and_si512(_mm512_srlv_epi64(qh, shift_b), k30));
      }
      for (int g = 0; g < 4; ++g) sc[g] = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6KScaleIndex[g]), scales);
      const float d = HalfToFloat1(x.d);
      for (int c = 0; c < NC; ++c) {
        const ActQ8K& a = reinterpret_cast<const ActQ8K*>(act[c])[b];
        __m512i dot = _mm512_setzero_si512();
        for (int g = 0; g < 4; ++g) {
          dot = _mm512_dpwssd_epi32(dot, _mm512_maddubs_epi16(wq[g], _mm512_load_si512(a.qs + 64 * g)), sc[g]);
        }
        // q is stored + 32: subtract 32 * sum(scale_i * bsum_i).
        const __m256i offset = _mm256_madd_epi16(scales16, _mm256_load_si256(reinterpret_cast<const __m256i*>(a.bsums)));
        dot = _mm512_sub_epi32(dot, _mm512_zextsi256_si512(_mm256_slli_epi32(offset, 5)));
        acc[c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_set1_ps(d * a.d), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(acc[c]);
  }
};

struct F32Kernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const float* w = reinterpret_cast<const float*>(row);
    __m512 acc[NC][2];
    for (int c = 0; c < NC; ++c) acc[c][0] = acc[c][1] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
      const __m512 w0 = _mm512_loadu_ps(w + i), w1 = _mm512_loadu_ps(w + i + 16);
      for (int c = 0; c < NC; ++c) {
        const float* x = reinterpret_cast<const float*>(act[c]);
        acc[c][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i), acc[c][0]);
        acc[c][1] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i + 16), acc[c][1]);
      }
    }
    for (; i < k; i += 16) {
      const __mmask16 m = FirstLanes16(k - i);
      const __m512 w0 = _mm512_maskz_loadu_ps(m, w + i);
      for (int c = 0; c < NC; ++c) {
        acc[c][0] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(act[c]) + i), acc[c][0]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(_mm512_add_ps(acc[c][0], acc[c][1]));
  }
};

struct F16Kernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const uint16_t* w = reinterpret_cast<const uint16_t*>(row);
    __m512 acc[NC][2];
    for (int c = 0; c < NC; ++c) acc[c][0] = acc[c][1] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
      const __m512 w0 = LoadHalves(w + i), w1 = LoadHalves(w + i + 16);
      for (int c = 0; c < NC; ++c) {
        const float* x = reinterpret_cast<const float*>(act[c]);
        acc[c][0] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i), acc[c][0]);
        acc[c][1] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i + 16), acc[c][1]);
      }
    }
    for (; i < k; i += 16) {
      const __mmask16 m = FirstLanes16(k - i);
      const __m512 w0 = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + i));
      for (int c = 0; c < NC; ++c) {
        acc[c][0] = _mm512_fmadd_ps(w0, _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(act[c]) + i), acc[c][0]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(_mm512_add_ps(acc[c][0], acc[c][1]));
  }
};

struct Bf16Kernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const uint16_t* w = reinterpret_cast<const uint16_t*>(row);
    __m512 acc[NC][2];
    for (int c = 0; c < NC; ++c) acc[c][0] = acc[c][1] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= k; i += 64) {
      const __m512i w0 = _mm512_loadu_si512(w + i), w1 = _mm512_loadu_si512(w + i + 32);
      for (int c = 0; c < NC; ++c) {
        const uint16_t* x = reinterpret_cast<const uint16_t*>(act[c]);
        acc[c][0] = _mm512_dpbf16_ps(acc[c][0], reinterpret_cast<__m512bh>(w0),
                                     reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + i)));
        acc[c][1] = _mm512_dpbf16_ps(acc[c][1], reinterpret_cast<__m512bh>(w1),
                                     reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + i + 32)));
      }
    }
    for (; i < k; i += 32) {  // the activations are zero-padded to a multiple of 32
      const __m512i w0 = _mm512_maskz_loadu_epi16(FirstLanes32(k - i), w + i);
      for (int c = 0; c < NC; ++c) {
        const uint16_t* x = reinterpret_cast<const uint16_t*>(act[c]);
        acc[c][0] = _mm512_dpbf16_ps(acc[c][0], reinterpret_cast<__m512bh>(w0),
                                     reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + i)));
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = _mm512_reduce_add_ps(_mm512_add_ps(acc[c][0], acc[c][1]));
  }
};

template <class Kernel>
void Rows(const StreamArgs& a, int64_t row_begin, int64_t row_end) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* w = a.w + r * a.row_bytes;
    for (int64_t c0 = 0; c0 < a.n_cols; c0 += kMaxCols) {
      const int nc = static_cast<int>(a.n_cols - c0 < kMaxCols ? a.n_cols - c0 : kMaxCols);
      const uint8_t* act[kMaxCols];
      float out[kMaxCols];
      for (int c = 0; c < nc; ++c) act[c] = a.act + (c0 + c) * a.act_stride;
      switch (nc) {
        case 1:
          Kernel::template Run<1>(w, a.k, act, out);
          break;
        case 2:
          Kernel::template Run<2>(w, a.k, act, out);
          break;
        case 3:
          Kernel::template Run<3>(w, a.k, act, out);
          break;
        default:
          Kernel::template Run<4>(w, a.k, act, out);
          break;
      }
      for (int c = 0; c < nc; ++c) a.y[(c0 + c) * a.y_stride + r] = out[c];
    }
  }
}

}  // namespace

void FillAvx512Stream(KernelTable* table) {
  StreamKernel* s = table->stream;
  s[kMatF32] = {Rounding::kNone, nullptr, nullptr, Rows<F32Kernel>};
  s[kMatF16] = {Rounding::kNone, nullptr, nullptr, Rows<F16Kernel>};
  s[kMatBF16] = {Rounding::kBf16Act, Bf16Bytes, PrepareBf16, Rows<Bf16Kernel>};
  s[kMatQ8_0] = {Rounding::kQ8Blocks32, PairBytes, PrepareQ8_0, Rows<Q8_0Kernel>};
  s[kMatQ4_0] = {Rounding::kQ8Blocks32, PairBytes, PrepareQ4_0, Rows<Q4_0Kernel>};
  s[kMatQ4_K] = {Rounding::kQ8Blocks256, ActQ8KBytesFn, PrepareQ8K, Rows<Q4_KKernel>};
  s[kMatQ6_K] = {Rounding::kQ8Blocks256, ActQ8KBytesFn, PrepareQ8K, Rows<Q6_KKernel>};
}

}  // namespace tokenfab::kernels::internal
