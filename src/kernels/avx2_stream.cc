// AVX2 streaming (decode) matrix-vector kernels, one weight row times up to four activation
// columns.
//
//   Q8_0: |w| times sign-adjusted activations with vpmaddubsw (the sign trick), then vpmaddwd.
//   Q4_0: raw nibbles (0..15) times the activations; the -8 offset enters the integer sum as
//         -8 * (block activation sum) in lane 0.
//   Q4_K / Q6_K: vpmaddubsw then vpmaddwd with the sub-block scales; mins (Q4_K) and the -32
//         offset (Q6_K) from the activation block sums.
//   F32 / F16 / BF16: converted to float and FMA with the float activations (exact).
// Activations use the scalar formats of act_quant.h, quantised with identical rounding.
#include "kernels/act_quant.h"
#include "kernels/avx2_common.h"
#include "kernels/kernel_table.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {
namespace {

using avx2::FirstLanes8;
using avx2::HalfToFloat1;
using avx2::HSum;
using avx2::HSumI;
using avx2::LoadU16;

constexpr int kMaxCols = 4;

// Quantises 8n floats with one scale into qs (d = max|x| / 127, round half to even).
float QuantizeGroup(const float* x, int n, int8_t* qs, int32_t* sums16) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 amax = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8)
    amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  const float d = avx2::HMax(amax) / 127.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  const __m256 vid = _mm256_set1_ps(id);
  for (int i = 0; i < n; i += 32) {
    __m256i q[4];
    for (int j = 0; j < 4; ++j)
      q[j] = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), vid));
    if (sums16 != nullptr) {
      sums16[i / 16] = HSumI(_mm256_add_epi32(q[0], q[1]));
      sums16[i / 16 + 1] = HSumI(_mm256_add_epi32(q[2], q[3]));
    }
    // packs interleave 128-bit lanes; the permutation restores element order.
    const __m256i packed =
        _mm256_packs_epi16(_mm256_packs_epi32(q[0], q[1]), _mm256_packs_epi32(q[2], q[3]));
    const __m256i ordered =
        _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + i), ordered);
  }
  return d;
}

int64_t Q8BlocksBytesFn(int64_t k) { return Q8BlocksBytes(k); }
int64_t ActQ8KBytesFn(int64_t k) { return ActQ8KBytes(k); }

void PrepareQ8Blocks(const float* x, int64_t k, uint8_t* out) {
  int8_t* qs = reinterpret_cast<int8_t*>(out);
  float* d = reinterpret_cast<float*>(out + Q8BlocksDOffset(k));
  int32_t* sum = reinterpret_cast<int32_t*>(out + Q8BlocksSumOffset(k));
  for (int64_t b = 0; b < k / 32; ++b) {
    int32_t sums16[2];
    d[b] = QuantizeGroup(x + 32 * b, 32, qs + 32 * b, sums16);
    sum[b] = sums16[0] + sums16[1];
  }
}

void PrepareQ8K(const float* x, int64_t k, uint8_t* out) {
  ActQ8K* blocks = reinterpret_cast<ActQ8K*>(out);
  for (int64_t b = 0; b < k / 256; ++b) {
    ActQ8K& a = blocks[b];
    int32_t sums16[16];
    a.d = QuantizeGroup(x + 256 * b, 256, a.qs, sums16);
    for (int g = 0; g < 16; ++g) a.bsums[g] = static_cast<int16_t>(sums16[g]);
    for (int g = 0; g < 8; ++g)
      a.bsums32[g] = static_cast<int16_t>(sums16[2 * g] + sums16[2 * g + 1]);
  }
}

struct Q8Blocks {  // views of one prepared Q8 block column
  const int8_t* qs;
  const float* d;
  const int32_t* sum;
  Q8Blocks(const uint8_t* act, int64_t k)
      : qs(reinterpret_cast<const int8_t*>(act)),
        d(reinterpret_cast<const float*>(act + Q8BlocksDOffset(k))),
        sum(reinterpret_cast<const int32_t*>(act + Q8BlocksSumOffset(k))) {}
};

struct Q8_0Kernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ8_0* w = reinterpret_cast<const BlockQ8_0*>(row);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / 32; ++b) {
      if (b % 2 == 0) avx2::PrefetchAhead(&w[b], 2);
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
      const __m256i abs_q = _mm256_sign_epi8(q, q);
      const float dw = HalfToFloat1(LoadU16(&w[b].d));
      for (int c = 0; c < NC; ++c) {
        const Q8Blocks a(act[c], k);
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + 32 * b));
        const __m256i dot =
            _mm256_madd_epi16(_mm256_maddubs_epi16(abs_q, _mm256_sign_epi8(x, q)), ones);
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * a.d[b]), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = HSum(acc[c]);
  }
};

struct Q4_0Kernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ4_0* w = reinterpret_cast<const BlockQ4_0*>(row);
    const __m128i k0f = _mm_set1_epi8(0x0f);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / 32; ++b) {
      if (b % 4 == 0) avx2::PrefetchAhead(&w[b], 2);
      const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
      const __m256i wq =
          _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), k0f), _mm_and_si128(q, k0f));
      const float dw = HalfToFloat1(LoadU16(&w[b].d));
      for (int c = 0; c < NC; ++c) {
        const Q8Blocks a(act[c], k);
        const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + 32 * b));
        __m256i dot = _mm256_madd_epi16(_mm256_maddubs_epi16(wq, x), ones);
        dot = _mm256_add_epi32(dot, _mm256_setr_epi32(-8 * a.sum[b], 0, 0, 0, 0, 0, 0, 0));
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * a.d[b]), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = HSum(acc[c]);
  }
};

struct Q4_KKernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ4_K* w = reinterpret_cast<const BlockQ4_K*>(row);
    const __m256i k0f = _mm256_set1_epi8(0x0f);
    __m256 acc[NC];
    float acc_min[NC];
    for (int c = 0; c < NC; ++c) {
      acc[c] = _mm256_setzero_ps();
      acc_min[c] = 0;
    }
    for (int64_t b = 0; b < k / 256; ++b) {
      const BlockQ4_K& x = w[b];
      avx2::PrefetchAhead(&x, 3);
      alignas(32) int16_t sm[16];  // a 32-byte aligned store fills it
      const __m128i sm8 = avx2::Q4KScalesMins(x.scales);
      _mm256_store_si256(reinterpret_cast<__m256i*>(sm), _mm256_cvtepu8_epi16(sm8));
      const __m128i mins = _mm_loadu_si128(reinterpret_cast<const __m128i*>(sm + 8));
      __m256i dot[NC];
      for (int c = 0; c < NC; ++c) dot[c] = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j) {
        const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs + 32 * j));
        const __m256i lo = _mm256_and_si256(q, k0f);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), k0f);
        const __m256i sc_lo = _mm256_set1_epi16(sm[2 * j]),
                      sc_hi = _mm256_set1_epi16(sm[2 * j + 1]);
        for (int c = 0; c < NC; ++c) {
          const int8_t* a = reinterpret_cast<const ActQ8K*>(act[c])[b].qs + 64 * j;
          const __m256i p_lo = _mm256_madd_epi16(
              _mm256_maddubs_epi16(lo, _mm256_load_si256(reinterpret_cast<const __m256i*>(a))),
              sc_lo);
          const __m256i p_hi = _mm256_madd_epi16(
              _mm256_maddubs_epi16(hi, _mm256_load_si256(reinterpret_cast<const __m256i*>(a + 32))),
              sc_hi);
          dot[c] = _mm256_add_epi32(dot[c], _mm256_add_epi32(p_lo, p_hi));
        }
      }
      const float d = HalfToFloat1(x.d), dmin = HalfToFloat1(x.dmin);
      for (int c = 0; c < NC; ++c) {
        const ActQ8K& a = reinterpret_cast<const ActQ8K*>(act[c])[b];
        __m128i m =
            _mm_madd_epi16(mins, _mm_load_si128(reinterpret_cast<const __m128i*>(a.bsums32)));
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0x4e));
        m = _mm_add_epi32(m, _mm_shuffle_epi32(m, 0xb1));
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot[c]), _mm256_set1_ps(d * a.d), acc[c]);
        acc_min[c] += dmin * a.d * static_cast<float>(_mm_cvtsi128_si32(m));
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = HSum(acc[c]) - acc_min[c];
  }
};

struct Q6_KKernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    const BlockQ6_K* w = reinterpret_cast<const BlockQ6_K*>(row);
    const __m256i k0f = _mm256_set1_epi8(0x0f), k03 = _mm256_set1_epi8(3);
    __m256 acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = _mm256_setzero_ps();
    for (int64_t b = 0; b < k / 256; ++b) {
      const BlockQ6_K& x = w[b];
      avx2::PrefetchAhead(&x, 4);
      __m256i dot[NC];
      for (int c = 0; c < NC; ++c) dot[c] = _mm256_setzero_si256();
      for (int n = 0; n < 2; ++n) {
        const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.ql + 64 * n));
        const __m256i ql1 =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.ql + 64 * n + 32));
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qh + 32 * n));
        for (int part = 0; part < 4; ++part) {
          const __m256i low = part % 2 == 0 ? ql0 : ql1;
          const __m256i lo4 = _mm256_and_si256(part < 2 ? low : _mm256_srli_epi16(low, 4), k0f);
          const __m256i hi2 =
              _mm256_and_si256(_mm256_srl_epi16(qh, _mm_cvtsi32_si128(2 * part)), k03);
          const __m256i q = _mm256_or_si256(lo4, _mm256_slli_epi16(hi2, 4));
          const int e = 128 * n + 32 * part;
          const __m256i sc = _mm256_set_m128i(_mm_set1_epi16(x.scales[e / 16 + 1]),
                                              _mm_set1_epi16(x.scales[e / 16]));
          for (int c = 0; c < NC; ++c) {
            const int8_t* a = reinterpret_cast<const ActQ8K*>(act[c])[b].qs + e;
            const __m256i p =
                _mm256_maddubs_epi16(q, _mm256_load_si256(reinterpret_cast<const __m256i*>(a)));
            dot[c] = _mm256_add_epi32(dot[c], _mm256_madd_epi16(p, sc));
          }
        }
      }
      const __m256i scales =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x.scales)));
      const float d = HalfToFloat1(x.d);
      for (int c = 0; c < NC; ++c) {
        const ActQ8K& a = reinterpret_cast<const ActQ8K*>(act[c])[b];
        // q is stored + 32: subtract 32 * sum(scale_i * bsum_i).
        const __m256i offset =
            _mm256_madd_epi16(scales, _mm256_load_si256(reinterpret_cast<const __m256i*>(a.bsums)));
        const __m256i total = _mm256_sub_epi32(dot[c], _mm256_slli_epi32(offset, 5));
        acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_set1_ps(d * a.d), acc[c]);
      }
    }
    for (int c = 0; c < NC; ++c) out[c] = HSum(acc[c]);
  }
};

// Plain types: 8 weights at a time converted to float; a scalar tail.
struct F32Load {
  static constexpr int kBytes = 4;
  static __m256 Load(const uint8_t* row, int64_t i) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + i);
  }
  static float One(const uint8_t* row, int64_t i) { return reinterpret_cast<const float*>(row)[i]; }
};
struct F16Load {
  static constexpr int kBytes = 2;
  static __m256 Load(const uint8_t* row, int64_t i) {
    return _mm256_cvtph_ps(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + i)));
  }
  static float One(const uint8_t* row, int64_t i) { return HalfToFloat1(LoadU16(row + 2 * i)); }
};
struct Bf16Load {
  static constexpr int kBytes = 2;
  static __m256 Load(const uint8_t* row, int64_t i) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + i)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static float One(const uint8_t* row, int64_t i) {
    const uint32_t bits = static_cast<uint32_t>(LoadU16(row + 2 * i)) << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
  }
};

template <class L>
struct PlainKernel {
  template <int NC>
  static void Run(const uint8_t* row, int64_t k, const uint8_t* const* act, float* out) {
    __m256 acc[NC][2];
    for (int c = 0; c < NC; ++c) acc[c][0] = acc[c][1] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= k; i += 16) {
      if (i % 32 == 0) avx2::PrefetchAhead(row + i * L::kBytes, L::kBytes);
      const __m256 w0 = L::Load(row, i), w1 = L::Load(row, i + 8);
      for (int c = 0; c < NC; ++c) {
        const float* x = reinterpret_cast<const float*>(act[c]);
        acc[c][0] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc[c][0]);
        acc[c][1] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc[c][1]);
      }
    }
    for (int c = 0; c < NC; ++c) {
      const float* x = reinterpret_cast<const float*>(act[c]);
      float tail = 0;
      for (int64_t j = i; j < k; ++j) tail += L::One(row, j) * x[j];
      out[c] = HSum(_mm256_add_ps(acc[c][0], acc[c][1])) + tail;
    }
  }
};

template <class Kernel>
void Rows(const StreamArgs& a, int64_t row_begin, int64_t row_end) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* w = a.w + r * a.row_bytes;
    for (int64_t c0 = 0; c0 < a.n_cols; c0 += kMaxCols) {
      const int nc = static_cast<int>(avx2::MinI(kMaxCols, a.n_cols - c0));
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

void FillAvx2Stream(KernelTable* table) {
  StreamKernel* s = table->stream;
  s[kMatF32] = {Rounding::kNone, nullptr, nullptr, Rows<PlainKernel<F32Load>>};
  s[kMatF16] = {Rounding::kNone, nullptr, nullptr, Rows<PlainKernel<F16Load>>};
  s[kMatBF16] = {Rounding::kNone, nullptr, nullptr, Rows<PlainKernel<Bf16Load>>};
  s[kMatQ8_0] = {Rounding::kQ8Blocks32, Q8BlocksBytesFn, PrepareQ8Blocks, Rows<Q8_0Kernel>};
  s[kMatQ4_0] = {Rounding::kQ8Blocks32, Q8BlocksBytesFn, PrepareQ8Blocks, Rows<Q4_0Kernel>};
  s[kMatQ4_K] = {Rounding::kQ8Blocks256, ActQ8KBytesFn, PrepareQ8K, Rows<Q4_KKernel>};
  s[kMatQ6_K] = {Rounding::kQ8Blocks256, ActQ8KBytesFn, PrepareQ8K, Rows<Q6_KKernel>};
}

}  // namespace tokenfab::kernels::internal
