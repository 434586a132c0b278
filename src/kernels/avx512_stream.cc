// AVX-512 streaming (decode) matrix-vector kernels: each weight row is read once and multiplied
// with up to four activation columns from the same registers.
//
//   Q8_0 / Q4_0: activations quantised per 32 (act_quant.h rounding) with, per block, an int32
//     `init` of -128 (resp. -8) times the block's activation sum and the scale spread over the
//     block's lanes. vpdpbusd multiplies unsigned weight bytes (Q8_0: q ^ 0x80 = q + 128; Q4_0:
//     the raw nibble) with the signed activations, starting from `init`, so the lanes sum to the
//     signed dot product. Q8_0 takes two blocks per zmm; Q4_0 four (one 64-byte window plus an
//     overlapping one, gathered with vpermi2b), with the activations stored in nibble order. The
//     block scales are gathered with vpermb / vpermi2b too.
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

// Q8_0 / Q4_0 activations, four blocks per group, kept compact (1.25 bytes per value) so that a
// column of 8192 values stays in L1 next to the weight stream. `scale_bias` holds the four block
// scales, then per block the float bias -128 * sum / 8 (Q8_0: eight lanes per block) or
// -8 * sum / 4 (Q4_0: four lanes per block) that turns the unsigned-weight dot product lanes into
// the signed one (exact: small integers).
struct Group {
  int8_t qs[128];  // Q8_0: blocks 0..3 in order; Q4_0: [b0..b3 values 0..15 | b0..b3 values 16..31]
  float scale_bias[8];
};
static_assert(sizeof(Group) == 160);

int64_t GroupBytes(int64_t k) { return (k + 127) / 128 * static_cast<int64_t>(sizeof(Group)); }

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

template <bool kQ4_0>
void PrepareGroups(const float* x, int64_t k, uint8_t* out) {
  const int64_t nb = k / 32;
  Group* groups = reinterpret_cast<Group*>(out);
  for (int64_t g = 0; g < (nb + 3) / 4; ++g) {
    Group& group = groups[g];
    memset(&group, 0, sizeof(group));
    for (int i = 0; i < 4 && 4 * g + i < nb; ++i) {
      __m512i q0, q1;
      int32_t sum;
      group.scale_bias[i] = Quantize32(x + 32 * (4 * g + i), &q0, &q1, &sum);
      group.scale_bias[4 + i] =
          kQ4_0 ? -2.0f * static_cast<float>(sum) : -16.0f * static_cast<float>(sum);
      int8_t* lo = kQ4_0 ? group.qs + 16 * i : group.qs + 32 * i;
      int8_t* hi = kQ4_0 ? group.qs + 64 + 16 * i : group.qs + 32 * i + 16;
      _mm_storeu_si128(reinterpret_cast<__m128i*>(lo), _mm512_cvtepi32_epi8(q0));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(hi), _mm512_cvtepi32_epi8(q1));
    }
  }
}

void PrepareQ8_0(const float* x, int64_t k, uint8_t* out) { PrepareGroups<false>(x, k, out); }
void PrepareQ4_0(const float* x, int64_t k, uint8_t* out) { PrepareGroups<true>(x, k, out); }

int64_t ActQ8KBytesFn(int64_t k) { return ActQ8KBytes(k); }

void PrepareQ8K(const float* x, int64_t k, uint8_t* out) {
  ActQ8K* blocks = reinterpret_cast<ActQ8K*>(out);
  for (int64_t b = 0; b < k / kActSuperBlock; ++b, x += kActSuperBlock) {
    __m512 amax = _mm512_setzero_ps();
    for (int i = 0; i < 256; i += 16)
      amax = _mm512_max_ps(amax, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
    const float d = _mm512_reduce_max_ps(amax) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    ActQ8K& a = blocks[b];
    a.d = d;
    for (int g = 0; g < 16; ++g) {
      const __m512i q =
          _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(x + 16 * g), _mm512_set1_ps(id)));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(a.qs + 16 * g), _mm512_cvtepi32_epi8(q));
      a.bsums[g] = static_cast<int16_t>(_mm512_reduce_add_epi32(q));
    }
    for (int g = 0; g < 8; ++g)
      a.bsums32[g] = static_cast<int16_t>(a.bsums[2 * g] + a.bsums[2 * g + 1]);
  }
}

// Q4_K activations in the order of the weight nibbles of two 32-byte chunks loaded together:
// q[0] = values 0..31 and 64..95 (low nibbles: sub-blocks 0 and 2), q[1] = 32..63 and 96..127
// (high nibbles: sub-blocks 1 and 3), q[2] and q[3] likewise for values 128..255.
struct alignas(64) ActQ4K {
  int8_t q[4][64];
  int16_t bsums32[8];  // sum of each sub-block of 32 (natural order)
  float d;
};
static_assert(sizeof(ActQ4K) == 320);

int64_t ActQ4KBytes(int64_t k) { return k / 256 * static_cast<int64_t>(sizeof(ActQ4K)); }

void PrepareQ4K(const float* x, int64_t k, uint8_t* out) {
  ActQ4K* blocks = reinterpret_cast<ActQ4K*>(out);
  for (int64_t b = 0; b < k / 256; ++b) {
    ActQ8K natural;
    PrepareQ8K(x + 256 * b, 256, reinterpret_cast<uint8_t*>(&natural));
    ActQ4K& a = blocks[b];
    for (int half = 0; half < 2; ++half) {
      for (int nibble = 0; nibble < 2; ++nibble) {
        int8_t* dst = a.q[2 * half + nibble];
        memcpy(dst, natural.qs + 128 * half + 32 * nibble, 32);
        memcpy(dst + 32, natural.qs + 128 * half + 64 + 32 * nibble, 32);
      }
    }
    memcpy(a.bsums32, natural.bsums32, sizeof(a.bsums32));
    a.d = natural.d;
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

// ---- Kernels: NR weight rows times NC activation columns ---------------------------------------
//
// Kernel::Run<NR, NC>(rows, k, act, out) writes to out[r * NC + c] a vector whose lanes sum to
// dot(rows[r], act[c]); the caller reduces four rows' vectors at a time (decode calls use NR = 1).

// Lane sums in one fixed order, (v0+v8+v4+v12) ... as below, whether one vector or four are
// reduced together, so a token's result does not depend on how many tokens share the call.
inline __m128 Fold(__m512 v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  return _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
}

// The sums of four vectors, as one 4-lane vector.
inline __m128 Reduce4(__m512 a, __m512 b, __m512 c, __m512 d) {
  return _mm_hadd_ps(_mm_hadd_ps(Fold(a), Fold(b)), _mm_hadd_ps(Fold(c), Fold(d)));
}

inline float Reduce1(__m512 v) {
  const __m128 q = Fold(v);
  const __m128 s = _mm_hadd_ps(q, q);
  return _mm_cvtss_f32(_mm_hadd_ps(s, s));
}

template <int N>
inline void StoreAcc(const __m512* acc, __m512* out) {
  for (int i = 0; i < N; ++i) out[i] = acc[i];
}

// Q8_0 pair-of-blocks step for one row: weights of blocks b, b+1 (b+1 may be absent).
inline void Q8_0PairWeights(const BlockQ8_0* w, int64_t b, bool pair, __m512i* wu, __m512* dw) {
  const __m256i w0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
  const __m256i w1 = pair ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b + 1].qs))
                          : _mm256_setzero_si256();
  *wu = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(w0), w1, 1),
                         _mm512_set1_epi8(static_cast<char>(0x80)));
  const short d0 = static_cast<short>(LoadU16(&w[b].d));
  const short d1 = pair ? static_cast<short>(LoadU16(&w[b + 1].d)) : d0;
  *dw = _mm512_cvtph_ps(_mm256_set_m128i(_mm_set1_epi16(d1), _mm_set1_epi16(d0)));
}

// vpermi2b indices gathering the scales of 4 consecutive Q8_0 blocks from two 64-byte windows at
// the block start and 68 bytes on: [d0 x8, d1 x8 | d2 x8, d3 x8] as halves.
alignas(64) const uint8_t kQ8_0ScaleIndex[64] = {
    0,  1,  0,  1,  0,  1,  0,  1,  0,  1,  0,  1,  0,  1,  0,  1,  34, 35, 34, 35, 34, 35,
    34, 35, 34, 35, 34, 35, 34, 35, 34, 35, 64, 65, 64, 65, 64, 65, 64, 65, 64, 65, 64, 65,
    64, 65, 64, 65, 98, 99, 98, 99, 98, 99, 98, 99, 98, 99, 98, 99, 98, 99, 98, 99};

// Scale and bias vectors of Q8_0 pair p (0, 1) of a group: lanes [2p x8, 2p+1 x8] of scale_bias.
alignas(64) const int32_t kQ8_0SpreadIndex[4][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},
    {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5},
    {6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7}};

// acc += (dot + bias) * dw * scale for one pair of blocks against activation pair p of group g.
template <int NC>
inline void Q8_0Pair(__m512i wu, __m512 dw, const uint8_t* const* act, int64_t g, int p,
                     __m512* acc) {
  const __m512i scale_index = _mm512_load_si512(kQ8_0SpreadIndex[p]);
  const __m512i bias_index = _mm512_load_si512(kQ8_0SpreadIndex[p + 2]);
  for (int c = 0; c < NC; ++c) {
    const Group& a = reinterpret_cast<const Group*>(act[c])[g];
    const __m512 sb = _mm512_castps256_ps512(_mm256_loadu_ps(a.scale_bias));
    const __m512i dot =
        _mm512_dpbusd_epi32(_mm512_setzero_si512(), wu, _mm512_loadu_si512(a.qs + 64 * p));
    const __m512 v = _mm512_add_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(bias_index, sb));
    acc[c] = _mm512_fmadd_ps(v, _mm512_mul_ps(dw, _mm512_permutexvar_ps(scale_index, sb)), acc[c]);
  }
}

struct Q8_0Kernel {
  template <int NR, int NC>
  static void Run(const uint8_t* const* rows, int64_t k, const uint8_t* const* act, __m512* out) {
    static_assert(NR == 1, "one row per call");
    const int64_t nb = k / 32;
    const __m512i k80 = _mm512_set1_epi8(static_cast<char>(0x80));
    const __m512i scale_index = _mm512_load_si512(kQ8_0ScaleIndex);
    __m512 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm512_setzero_ps();
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {  // four blocks = two pairs per step
      const uint8_t* w = rows[0] + 34 * b;
      avx512::PrefetchAhead(w, 3);
      const __m512i wu0 = _mm512_xor_si512(
          _mm512_inserti64x4(
              _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2))),
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 36)), 1),
          k80);
      const __m512i wu1 = _mm512_xor_si512(
          _mm512_inserti64x4(
              _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 70))),
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 104)), 1),
          k80);
      const __m512i d =
          _mm512_permutex2var_epi8(_mm512_loadu_si512(w), scale_index, _mm512_loadu_si512(w + 68));
      Q8_0Pair<NC>(wu0, _mm512_cvtph_ps(_mm512_castsi512_si256(d)), act, b / 4, 0, acc);
      Q8_0Pair<NC>(wu1, _mm512_cvtph_ps(_mm512_extracti64x4_epi64(d, 1)), act, b / 4, 1, acc);
    }
    for (; b < nb; b += 2) {  // remaining one to three blocks
      __m512i wu;
      __m512 dw;
      Q8_0PairWeights(reinterpret_cast<const BlockQ8_0*>(rows[0]), b, b + 1 < nb, &wu, &dw);
      Q8_0Pair<NC>(wu, dw, act, b / 4, static_cast<int>(b / 2 % 2), acc);
    }
    StoreAcc<NC>(acc, out);
  }
};

// vpermi2b indices: the 64 quant bytes of 4 consecutive Q4_0 blocks (18 bytes each) from two
// windows at the block start (A) and 8 bytes on (B): byte j = block j / 16, byte j % 16.
struct Q4_0Indices {
  alignas(64) uint8_t qs[64];
  alignas(64) uint8_t d[64];  // the 4 scales as halves [d0 x4, d1 x4, d2 x4, d3 x4]
  constexpr Q4_0Indices() : qs(), d() {
    for (int j = 0; j < 64; ++j) {
      const int offset = 18 * (j / 16) + 2 + j % 16;
      qs[j] = static_cast<uint8_t>(offset < 64 ? offset : 64 + offset - 8);
      d[j] = static_cast<uint8_t>(j < 32 ? 18 * (j / 8) + j % 2 : 0);
    }
  }
};
constexpr Q4_0Indices kQ4_0Index;

struct Q4_0Kernel {
  template <int NR, int NC>
  static void Run(const uint8_t* const* rows, int64_t k, const uint8_t* const* act, __m512* out) {
    const int64_t nb = k / 32;
    const __m512i k0f = _mm512_set1_epi8(0x0f);
    const __m512i qs_index = _mm512_load_si512(kQ4_0Index.qs);
    const __m512i d_index = _mm512_load_si512(kQ4_0Index.d);
    // Scale and bias lanes: block i owns lanes 4i..4i+3.
    const __m512i scale_index = _mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0);
    const __m512i bias_index = _mm512_add_epi32(scale_index, _mm512_set1_epi32(4));
    __m512 acc[NR * NC];
    for (int i = 0; i < NR * NC; ++i) acc[i] = _mm512_setzero_ps();
    auto step = [&](int64_t b, __mmask64 mask_a, __mmask64 mask_b, bool masked) {
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        const uint8_t* w = rows[r] + 18 * b;
        // Plain loads for whole groups; the last group of one to three blocks is read with masks,
        // so nothing past the row is read.
        const __m512i wa = masked ? _mm512_maskz_loadu_epi8(mask_a, w) : _mm512_loadu_si512(w);
        const __m512i wb =
            masked ? _mm512_maskz_loadu_epi8(mask_b, w + 8) : _mm512_loadu_si512(w + 8);
        const __m512i q = _mm512_permutex2var_epi8(wa, qs_index, wb);
        const __m512i lo = _mm512_and_si512(q, k0f);
        const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), k0f);
        const __m512 dw =
            _mm512_cvtph_ps(_mm512_castsi512_si256(_mm512_permutexvar_epi8(d_index, wa)));
        for (int c = 0; c < NC; ++c) {
          const Group& a = reinterpret_cast<const Group*>(act[c])[b / 4];
          const __m512 sb = _mm512_castps256_ps512(_mm256_loadu_ps(a.scale_bias));
          __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_loadu_si512(a.qs));
          dot = _mm512_dpbusd_epi32(dot, hi, _mm512_loadu_si512(a.qs + 64));
          const __m512 v =
              _mm512_add_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(bias_index, sb));
          acc[r * NC + c] = _mm512_fmadd_ps(
              v, _mm512_mul_ps(dw, _mm512_permutexvar_ps(scale_index, sb)), acc[r * NC + c]);
        }
      }
    };
    int64_t b = 0;
    for (; b + 4 <= nb; b += 4) {
      avx512::PrefetchAhead(rows[0] + 18 * b, 2);
      step(b, 0, 0, false);
    }
    if (b < nb) {
      const int64_t bytes = 18 * (nb - b);
      step(b, (__mmask64{1} << bytes) - 1, (__mmask64{1} << (bytes - 8)) - 1, true);
    }
    StoreAcc<NR * NC>(acc, out);
  }
};

// Q6_K group g (values 64g..64g+63, sub-blocks 4g..4g+3): 8 int16 products per sub-block.
alignas(64) const int16_t kQ6KScaleIndex[4][32] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
     2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5,
     6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8,  8,  8,  8,  8,  8,  8,  8,  9,  9,  9,  9,  9,  9,  9,  9,
     10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13,
     14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15}};

// Scale indices for the four Q4_K product vectors (sub-blocks 0|2, 1|3, 4|6, 5|7).
alignas(64) const int16_t kQ4KScaleIndex[4][32] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
     2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2},
    {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
     3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
     6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6},
    {5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5,
     7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7}};

struct Q4_KKernel {
  template <int NR, int NC>
  static void Run(const uint8_t* const* rows, int64_t k, const uint8_t* const* act, __m512* out) {
    const __m512i k0f = _mm512_set1_epi8(0x0f);
    __m512i scale_index[4];
    for (int j = 0; j < 4; ++j) scale_index[j] = _mm512_load_si512(kQ4KScaleIndex[j]);
    __m512 acc[NR * NC];
    __m512 acc_min[NR * NC];
    for (int i = 0; i < NR * NC; ++i) acc[i] = acc_min[i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < k / 256; ++b) {
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        const BlockQ4_K& x = reinterpret_cast<const BlockQ4_K*>(rows[r])[b];
        avx512::PrefetchAhead(&x, 3);
        const __m256i scales_mins = _mm256_cvtepu8_epi16(avx512::Q4KScalesMins(x.scales));
        const __m128i mins = _mm256_extracti128_si256(scales_mins, 1);
        const __m512i scales = _mm512_castsi256_si512(scales_mins);
        __m512i wq[4], sc[4];
        for (int h = 0; h < 2; ++h) {  // 64 bytes = two 32-byte chunks of nibbles
          const __m512i q = _mm512_loadu_si512(x.qs + 64 * h);
          wq[2 * h] = _mm512_and_si512(q, k0f);
          wq[2 * h + 1] = _mm512_and_si512(_mm512_srli_epi16(q, 4), k0f);
        }
        for (int j = 0; j < 4; ++j) sc[j] = _mm512_permutexvar_epi16(scale_index[j], scales);
        const __m512 d = _mm512_set1_ps(HalfToFloat1(x.d)),
                     dmin = _mm512_set1_ps(HalfToFloat1(x.dmin));
        for (int c = 0; c < NC; ++c) {
          const ActQ4K& a = reinterpret_cast<const ActQ4K*>(act[c])[b];
          __m512i dot = _mm512_setzero_si512();
          for (int j = 0; j < 4; ++j) {
            dot = _mm512_dpwssd_epi32(dot, _mm512_maddubs_epi16(wq[j], _mm512_load_si512(a.q[j])),
                                      sc[j]);
          }
          const __m128i msum =
              _mm_madd_epi16(mins, _mm_load_si128(reinterpret_cast<const __m128i*>(a.bsums32)));
          const __m512 da = _mm512_set1_ps(a.d);
          acc[r * NC + c] =
              _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(d, da), acc[r * NC + c]);
          acc_min[r * NC + c] = _mm512_fmadd_ps(_mm512_zextps128_ps512(_mm_cvtepi32_ps(msum)),
                                                _mm512_mul_ps(dmin, da), acc_min[r * NC + c]);
        }
      }
    }
    for (int i = 0; i < NR * NC; ++i) acc[i] = _mm512_sub_ps(acc[i], acc_min[i]);
    StoreAcc<NR * NC>(acc, out);
  }
};

struct Q6_KKernel {
  template <int NR, int NC>
  static void Run(const uint8_t* const* rows, int64_t k, const uint8_t* const* act, __m512* out) {
    const __m512i k0f = _mm512_set1_epi8(0x0f), k30 = _mm512_set1_epi8(0x30);
    const __m512i shift_a =
        _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4);  // left: bits 0-1 / 2-3 -> 4-5
    const __m512i shift_b =
        _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);  // right: bits 4-5 / 6-7 -> 4-5
    __m512 acc[NR * NC];
    for (int i = 0; i < NR * NC; ++i) acc[i] = _mm512_setzero_ps();
    for (int64_t b = 0; b < k / 256; ++b) {
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        const BlockQ6_K& x = reinterpret_cast<const BlockQ6_K*>(rows[r])[b];
        avx512::PrefetchAhead(&x, 4);
        const __m256i scales16 =
            _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
        const __m512i scales = _mm512_castsi256_si512(scales16);
        __m512i wq[4], sc[4];
        for (int n = 0; n < 2; ++n) {
          const __m512i ql = _mm512_loadu_si512(x.ql + 64 * n);
          const __m512i qh = _mm512_broadcast_i64x4(
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh + 32 * n)));
          wq[2 * n] = _mm512_or_si512(_mm512_and_si512(ql, k0f),
                                      _mm512_and_si512(_mm512_sllv_epi64(qh, shift_a), k30));
          wq[2 * n + 1] = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), k0f),
                                          _mm512_and_si512(_mm512_srlv_epi64(qh, shift_b), k30));
        }
        for (int g = 0; g < 4; ++g)
          sc[g] = _mm512_permutexvar_epi16(_mm512_load_si512(kQ6KScaleIndex[g]), scales);
        const __m512 d = _mm512_set1_ps(HalfToFloat1(x.d));
        for (int c = 0; c < NC; ++c) {
          const ActQ8K& a = reinterpret_cast<const ActQ8K*>(act[c])[b];
          __m512i dot = _mm512_setzero_si512();
          for (int g = 0; g < 4; ++g) {
            dot = _mm512_dpwssd_epi32(
                dot, _mm512_maddubs_epi16(wq[g], _mm512_load_si512(a.qs + 64 * g)), sc[g]);
          }
          // q is stored + 32: subtract 32 * sum(scale_i * bsum_i).
          const __m256i offset = _mm256_madd_epi16(
              scales16, _mm256_load_si256(reinterpret_cast<const __m256i*>(a.bsums)));
          dot = _mm512_sub_epi32(dot, _mm512_zextsi256_si512(_mm256_slli_epi32(offset, 5)));
          acc[r * NC + c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot),
                                            _mm512_mul_ps(d, _mm512_set1_ps(a.d)), acc[r * NC + c]);
        }
      }
    }
    StoreAcc<NR * NC>(acc, out);
  }
};

// Plain types: 32 weights per step converted to float (or bf16 pairs), two accumulators each.
struct F32Load {
  static constexpr int kBytes = 4;
  static __m512 Load(const uint8_t* row, int64_t i) {
    return _mm512_loadu_ps(reinterpret_cast<const float*>(row) + i);
  }
  static __m512 LoadN(const uint8_t* row, int64_t i, __mmask16 m) {
    return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(row) + i);
  }
};
struct F16Load {
  static constexpr int kBytes = 2;
  static __m512 Load(const uint8_t* row, int64_t i) {
    return LoadHalves(reinterpret_cast<const uint16_t*>(row) + i);
  }
  static __m512 LoadN(const uint8_t* row, int64_t i, __mmask16 m) {
    return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(row) + i));
  }
};

template <class L>
struct FloatKernel {
  template <int NR, int NC>
  static void Run(const uint8_t* const* rows, int64_t k, const uint8_t* const* act, __m512* out) {
    __m512 acc[NR * NC], acc2[NR * NC];
    for (int i = 0; i < NR * NC; ++i) acc[i] = acc2[i] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 32 <= k; i += 32) {
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        avx512::PrefetchAhead(rows[r] + i * L::kBytes, L::kBytes / 2);
        const __m512 w0 = L::Load(rows[r], i), w1 = L::Load(rows[r], i + 16);
        for (int c = 0; c < NC; ++c) {
          const float* x = reinterpret_cast<const float*>(act[c]);
          acc[r * NC + c] = _mm512_fmadd_ps(w0, _mm512_loadu_ps(x + i), acc[r * NC + c]);
          acc2[r * NC + c] = _mm512_fmadd_ps(w1, _mm512_loadu_ps(x + i + 16), acc2[r * NC + c]);
        }
      }
    }
    for (; i < k; i += 16) {
      const __mmask16 m = FirstLanes16(k - i);
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        const __m512 w0 = L::LoadN(rows[r], i, m);
        for (int c = 0; c < NC; ++c) {
          const __m512 x = _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(act[c]) + i);
          acc[r * NC + c] = _mm512_fmadd_ps(w0, x, acc[r * NC + c]);
        }
      }
    }
    for (int j = 0; j < NR * NC; ++j) acc[j] = _mm512_add_ps(acc[j], acc2[j]);
    StoreAcc<NR * NC>(acc, out);
  }
};

struct Bf16Kernel {
  template <int NR, int NC>
  static void Run(const uint8_t* const* rows, int64_t k, const uint8_t* const* act, __m512* out) {
    __m512 acc[NR * NC], acc2[NR * NC];
    for (int i = 0; i < NR * NC; ++i) acc[i] = acc2[i] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 64 <= k; i += 64) {
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        const uint16_t* w = reinterpret_cast<const uint16_t*>(rows[r]);
        avx512::PrefetchAhead(w + i, 2);
        const __m512bh w0 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(w + i));
        const __m512bh w1 = reinterpret_cast<__m512bh>(_mm512_loadu_si512(w + i + 32));
        for (int c = 0; c < NC; ++c) {
          const uint16_t* x = reinterpret_cast<const uint16_t*>(act[c]);
          acc[r * NC + c] = _mm512_dpbf16_ps(acc[r * NC + c], w0,
                                             reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + i)));
          acc2[r * NC + c] = _mm512_dpbf16_ps(
              acc2[r * NC + c], w1, reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + i + 32)));
        }
      }
    }
    for (; i < k; i += 32) {  // the activations are zero-padded to a multiple of 32
#pragma GCC unroll 4
      for (int r = 0; r < NR; ++r) {
        const __m512bh w0 = reinterpret_cast<__m512bh>(_mm512_maskz_loadu_epi16(
            FirstLanes32(k - i), reinterpret_cast<const uint16_t*>(rows[r]) + i));
        for (int c = 0; c < NC; ++c) {
          const uint16_t* x = reinterpret_cast<const uint16_t*>(act[c]);
          acc[r * NC + c] = _mm512_dpbf16_ps(acc[r * NC + c], w0,
                                             reinterpret_cast<__m512bh>(_mm512_loadu_si512(x + i)));
        }
      }
    }
    for (int j = 0; j < NR * NC; ++j) acc[j] = _mm512_add_ps(acc[j], acc2[j]);
    StoreAcc<NR * NC>(acc, out);
  }
};

// Rows one after the other, so that each thread reads its rows as one sequential stream, which
// the hardware prefetchers follow best (interleaving two or four rows per step is faster when the
// weights are in cache but measured up to 1.8x slower streaming from DRAM, the decode case). The
// lane sums of four consecutive rows are reduced together, so the end of a row costs little.
constexpr int kRowsPerReduce = 4;

template <class Kernel>
void Rows(const StreamArgs& a, int64_t row_begin, int64_t row_end) {
  const int64_t n_cols = a.n_cols;  // < kGemmMinTokens
  __m512 acc[kRowsPerReduce][kPanelMinTokens];
  const uint8_t* act[kMaxCols];
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowsPerReduce) {
    const int nr = static_cast<int>(avx512::MinI(kRowsPerReduce, row_end - r0));
    for (int i = 0; i < nr; ++i) {
      const uint8_t* row = a.w + (r0 + i) * a.row_bytes;
      for (int64_t c0 = 0; c0 < n_cols; c0 += kMaxCols) {
        const int nc = static_cast<int>(avx512::MinI(kMaxCols, n_cols - c0));
        for (int c = 0; c < nc; ++c) act[c] = a.act + (c0 + c) * a.act_stride;
        __m512* out = acc[i] + c0;
        switch (nc) {
          case 1:
            Kernel::template Run<1, 1>(&row, a.k, act, out);
            break;
          case 2:
            Kernel::template Run<1, 2>(&row, a.k, act, out);
            break;
          case 3:
            Kernel::template Run<1, 3>(&row, a.k, act, out);
            break;
          default:
            Kernel::template Run<1, 4>(&row, a.k, act, out);
            break;
        }
      }
    }
    for (int64_t c = 0; c < n_cols; ++c) {
      float* y = a.y + c * a.y_stride + r0;
      if (nr == kRowsPerReduce) {
        _mm_storeu_ps(y, Reduce4(acc[0][c], acc[1][c], acc[2][c], acc[3][c]));
      } else {
        for (int i = 0; i < nr; ++i) y[i] = Reduce1(acc[i][c]);
      }
    }
  }
}

}  // namespace

void FillAvx512Stream(KernelTable* table) {
  StreamKernel* s = table->stream;
  s[kMatF32] = {Rounding::kNone, nullptr, nullptr, Rows<FloatKernel<F32Load>>};
  s[kMatF16] = {Rounding::kNone, nullptr, nullptr, Rows<FloatKernel<F16Load>>};
  s[kMatBF16] = {Rounding::kBf16Act, Bf16Bytes, PrepareBf16, Rows<Bf16Kernel>};
  s[kMatQ8_0] = {Rounding::kQ8Blocks32, GroupBytes, PrepareQ8_0, Rows<Q8_0Kernel>};
  s[kMatQ4_0] = {Rounding::kQ8Blocks32, GroupBytes, PrepareQ4_0, Rows<Q4_0Kernel>};
  s[kMatQ4_K] = {Rounding::kQ8Blocks256, ActQ4KBytes, PrepareQ4K, Rows<Q4_KKernel>};
  s[kMatQ6_K] = {Rounding::kQ8Blocks256, ActQ8KBytesFn, PrepareQ8K, Rows<Q6_KKernel>};
}

}  // namespace tokenfab::kernels::internal
