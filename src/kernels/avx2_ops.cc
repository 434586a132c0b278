// AVX2 kernels for RMSNorm, RoPE, SiLU / SwiGLU, element-wise ops, softmax, KV stores and
// attention. Tails shorter than a vector use masked loads / stores.
#include "kernels/avx2_common.h"
#include "kernels/kernel_table.h"

namespace tokenfab::kernels::internal {
namespace {

using avx2::FirstLanes8;
using avx2::HSum;
using avx2::MinI;

inline __m256 Set1(float v) { return _mm256_set1_ps(v); }
inline __m256 LoadN(const float* p, int64_t n) { return _mm256_maskload_ps(p, FirstLanes8(n)); }
inline void StoreN(float* p, int64_t n, __m256 v) { _mm256_maskstore_ps(p, FirstLanes8(n), v); }

// e^x to about 1 ulp on [-87, 88] (inputs are clamped to it): x = n ln2 + r, degree-7 Taylor
// polynomial for e^r, times 2^n built in the exponent field.
__m256 Exp(__m256 x) {
  x = _mm256_max_ps(_mm256_min_ps(x, Set1(88.0f)), Set1(-87.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, Set1(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, Set1(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, Set1(-2.12194440e-4f), r);
  __m256 p = Set1(1.0f / 5040);
  p = _mm256_fmadd_ps(p, r, Set1(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, Set1(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, Set1(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, Set1(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, Set1(0.5f));
  p = _mm256_fmadd_ps(p, r, Set1(1.0f));
  p = _mm256_fmadd_ps(p, r, Set1(1.0f));
  const __m256i bits =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__m256 Silu(__m256 x) {
  return _mm256_div_ps(x, _mm256_add_ps(Set1(1.0f), Exp(_mm256_sub_ps(_mm256_setzero_ps(), x))));
}

void RmsNorm(const float* x, int64_t n, const float* weight, float eps, float* y) {
  __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
    sum0 = _mm256_fmadd_ps(a, a, sum0);
    sum1 = _mm256_fmadd_ps(b, b, sum1);
  }
  for (; i < n; i += 8) {
    const __m256 a = LoadN(x + i, n - i);
    sum0 = _mm256_fmadd_ps(a, a, sum0);
  }
  const float mean = HSum(_mm256_add_ps(sum0, sum1)) / static_cast<float>(n);
  const __m256 scale = Set1(1.0f / __builtin_sqrtf(mean + eps));
  for (i = 0; i < n; i += 8) {
    __m256 v = _mm256_mul_ps(LoadN(x + i, n - i), scale);
    if (weight != nullptr) v = _mm256_mul_ps(v, LoadN(weight + i, n - i));
    StoreN(y + i, n - i, v);
  }
}

void Rope(const float* cos_sin, int n_dims, bool neox, float* x, int n_heads, int head_dim) {
  const int half = n_dims / 2;
  const float* cosines = cos_sin;
  const float* sines = cos_sin + half;
  const __m256i dup = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    if (neox) {  // pairs (v[i], v[i + half])
      for (int i = 0; i < half; i += 8) {
        const int64_t n = half - i;
        const __m256 c = LoadN(cosines + i, n), s = LoadN(sines + i, n);
        const __m256 x0 = LoadN(v + i, n), x1 = LoadN(v + half + i, n);
        StoreN(v + i, n, _mm256_fmsub_ps(x0, c, _mm256_mul_ps(x1, s)));
        StoreN(v + half + i, n, _mm256_fmadd_ps(x0, s, _mm256_mul_ps(x1, c)));
      }
    } else {  // adjacent pairs (v[2i], v[2i + 1]), 4 pairs per vector
      for (int i = 0; i < half; i += 4) {
        const int64_t pairs = half - i;
        const __m256 c = _mm256_permutevar8x32_ps(LoadN(cosines + i, pairs), dup);
        const __m256 s = _mm256_permutevar8x32_ps(LoadN(sines + i, pairs), dup);
        const __m256 xv = LoadN(v + 2 * i, 2 * pairs);
        const __m256 swapped = _mm256_permute_ps(xv, 0xb1);
        StoreN(v + 2 * i, 2 * pairs, _mm256_fmaddsub_ps(xv, c, _mm256_mul_ps(swapped, s)));
      }
    }
  }
}

void SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 8) {
    StoreN(out + i, n - i, _mm256_mul_ps(Silu(LoadN(gate + i, n - i)), LoadN(up + i, n - i)));
  }
}

void SiluRow(const float* x, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 8) StoreN(out + i, n - i, Silu(LoadN(x + i, n - i)));
}

void Add(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 8)
    StoreN(out + i, n - i, _mm256_add_ps(LoadN(a + i, n - i), LoadN(b + i, n - i)));
}

void Mul(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 8)
    StoreN(out + i, n - i, _mm256_mul_ps(LoadN(a + i, n - i), LoadN(b + i, n - i)));
}

void Scale(const float* x, float s, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 8)
    StoreN(out + i, n - i, _mm256_mul_ps(LoadN(x + i, n - i), Set1(s)));
}

void Softmax(float* x, int64_t n) {
  const __m256 neg_inf = Set1(-avx2::Infinity());
  __m256 max = neg_inf;
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 m = _mm256_castsi256_ps(FirstLanes8(n - i));
    max = _mm256_max_ps(max, _mm256_blendv_ps(neg_inf, LoadN(x + i, n - i), m));
  }
  const __m256 mx = Set1(avx2::HMax(max));
  // The sum is kept in double: rows can be a whole vocabulary (150k values).
  __m256d sum = _mm256_setzero_pd();
  for (int64_t i = 0; i < n; i += 8) {
    const __m256 m = _mm256_castsi256_ps(FirstLanes8(n - i));
    const __m256 e = _mm256_and_ps(m, Exp(_mm256_sub_ps(LoadN(x + i, n - i), mx)));
    sum = _mm256_add_pd(sum, _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(e)),
                                           _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1))));
    StoreN(x + i, n - i, e);
  }
  __m128d s2 = _mm_add_pd(_mm256_castpd256_pd128(sum), _mm256_extractf128_pd(sum, 1));
  s2 = _mm_add_sd(s2, _mm_unpackhi_pd(s2, s2));
  Scale(x, static_cast<float>(1.0 / _mm_cvtsd_f64(s2)), n, x);
}

void StoreRow(const float* src, int64_t n, bool f16, void* dst) {
  if (!f16) {
    memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  uint16_t* h = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_si128(
        reinterpret_cast<__m128i*>(h + i),
        _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; ++i) h[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

constexpr int kKeysPerChunk = 64;

// The sums of 8 vectors as one vector (lane j = sum of a[j]).
inline __m256 Reduce8(const __m256* a) {
  __m256 x[4];
  for (int i = 0; i < 4; ++i) {
    x[i] = _mm256_add_ps(_mm256_unpacklo_ps(a[2 * i], a[2 * i + 1]),
                         _mm256_unpackhi_ps(a[2 * i], a[2 * i + 1]));
  }
  __m256 y[2];
  for (int i = 0; i < 2; ++i) {
    const __m256d lo =
        _mm256_unpacklo_pd(_mm256_castps_pd(x[2 * i]), _mm256_castps_pd(x[2 * i + 1]));
    const __m256d hi =
        _mm256_unpackhi_pd(_mm256_castps_pd(x[2 * i]), _mm256_castps_pd(x[2 * i + 1]));
    y[i] = _mm256_add_ps(_mm256_castpd_ps(lo), _mm256_castpd_ps(hi));  // lane L: keys 4i..4i+3
  }
  return _mm256_add_ps(_mm256_permute2f128_ps(y[0], y[1], 0x20),
                       _mm256_permute2f128_ps(y[0], y[1], 0x31));
}

// Copies n cached K/V rows (f16 or f32) to float rows of `padded` values (zeros past head_dim).
void ConvertRows(const uint8_t* const* rows, int n, bool f16, int head_dim, int padded,
                 float* out) {
  for (int i = 0; i < n; ++i, out += padded) {
    if (!f16) {
      memcpy(out, rows[i], static_cast<size_t>(head_dim) * sizeof(float));
    } else {
      const uint16_t* h = reinterpret_cast<const uint16_t*>(rows[i]);
      int e = 0;
      for (; e + 8 <= head_dim; e += 8) {
        _mm256_storeu_ps(out + e,
                         _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + e))));
      }
      for (; e < head_dim; ++e) out[e] = avx2::HalfToFloat1(h[e]);
    }
    for (int e = head_dim; e < padded; ++e) out[e] = 0.0f;
  }
}

// scores[j] = q . k_j * scale for the chunk's keys, 8 keys per vector; keys past n are -inf.
void Scores(const float* q, const float* keys, int n, int head_dim, int padded, float scale,
            float* scores) {
  for (int j0 = 0; j0 < n; j0 += 8) {
    const int nj = static_cast<int>(MinI(8, n - j0));
    __m256 acc[8];
    for (int j = 0; j < 8; ++j) acc[j] = _mm256_setzero_ps();
    for (int e = 0; e < padded; e += 8) {
      const __m256 qv = LoadN(q + e, head_dim - e);
      for (int j = 0; j < nj; ++j)
        acc[j] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(keys + (j0 + j) * padded + e), acc[j]);
    }
    const __m256 s = _mm256_mul_ps(Reduce8(acc), Set1(scale));
    const __m256 valid = _mm256_castsi256_ps(FirstLanes8(nj));
    _mm256_storeu_ps(scores + j0, _mm256_blendv_ps(Set1(-avx2::Infinity()), s, valid));
  }
}

// Online softmax over chunks of 64 keys, structured as the AVX-512 kernel: keys and values
// converted once per chunk for all heads of the group, 8 scores per vector, weighted values for
// 4 heads x 16 dims accumulated in registers.
void Attention(const AttentionArgs& a, int64_t token, int kv_head, float* scratch) {
  const int group = a.n_head / a.n_head_kv;
  const int hd = a.head_dim;
  const int padded = (hd + 15) / 16 * 16;
  const int32_t* block_table = a.block_tables[token];
  const int64_t n_kv = static_cast<int64_t>(a.positions[token]) + 1;
  float* acc = scratch;                           // [group][padded]
  float* scores = acc + group * padded;           // [group][64]
  float* keys = scores + group * kKeysPerChunk;   // [64][padded]
  float* values = keys + kKeysPerChunk * padded;  // [64][padded]
  float* max = values + kKeysPerChunk * padded;   // [group]
  float* sum = max + group;                       // [group]
  const float* q = a.q + token * a.q_stride + static_cast<int64_t>(kv_head) * group * hd;
  for (int h = 0; h < group; ++h) {
    max[h] = -avx2::Infinity();
    sum[h] = 0;
  }
  avx2::ZeroFloats(acc, static_cast<int64_t>(group) * padded);
  const uint8_t* k_rows[kKeysPerChunk];
  const uint8_t* v_rows[kKeysPerChunk];
  for (int64_t t0 = 0; t0 < n_kv; t0 += kKeysPerChunk) {
    const int nt = static_cast<int>(MinI(kKeysPerChunk, n_kv - t0));
    for (int i = 0; i < nt; ++i) {
      const int64_t p = t0 + i;
      const int64_t block = block_table[p / a.block_tokens], slot = p % a.block_tokens;
      k_rows[i] =
          a.k_base + block * a.k_block_stride + slot * a.k_token_stride + kv_head * a.k_head_stride;
      v_rows[i] =
          a.v_base + block * a.v_block_stride + slot * a.v_token_stride + kv_head * a.v_head_stride;
    }
    ConvertRows(k_rows, nt, a.k_f16, hd, padded, keys);
    ConvertRows(v_rows, nt, a.v_f16, hd, padded, values);
    for (int hb = 0; hb < group; hb += 4) {
      const int nh = static_cast<int>(MinI(4, group - hb));
      float correction[4];
      for (int i = 0; i < nh; ++i) {
        const int h = hb + i;
        float* s = scores + h * kKeysPerChunk;
        Scores(q + h * hd, keys, nt, hd, padded, a.scale, s);
        float new_max = max[h];
        for (int j = 0; j < nt; ++j) new_max = s[j] > new_max ? s[j] : new_max;
        correction[i] = avx2::ExpScalar(max[h] - new_max);
        max[h] = new_max;
        __m256 total = _mm256_setzero_ps();
        for (int j = 0; j < nt; j += 8) {  // lanes past nt hold -inf: e^-inf rounds to 0
          const __m256 valid = _mm256_castsi256_ps(FirstLanes8(nt - j));
          const __m256 p =
              _mm256_and_ps(valid, Exp(_mm256_sub_ps(_mm256_loadu_ps(s + j), Set1(new_max))));
          _mm256_storeu_ps(s + j, p);
          total = _mm256_add_ps(total, p);
        }
        sum[h] = sum[h] * correction[i] + HSum(total);
      }
      // Weighted values: 4 heads x 16 dims of accumulators in registers per pass.
      for (int e0 = 0; e0 < padded; e0 += 16) {
        __m256 o[4][2];
        for (int i = 0; i < nh; ++i) {
          for (int v = 0; v < 2; ++v) {
            o[i][v] = _mm256_mul_ps(_mm256_loadu_ps(acc + (hb + i) * padded + e0 + 8 * v),
                                    Set1(correction[i]));
          }
        }
        for (int j = 0; j < nt; ++j) {
          const __m256 v0 = _mm256_loadu_ps(values + j * padded + e0);
          const __m256 v1 = _mm256_loadu_ps(values + j * padded + e0 + 8);
          for (int i = 0; i < nh; ++i) {
            const __m256 p = _mm256_broadcast_ss(scores + (hb + i) * kKeysPerChunk + j);
            o[i][0] = _mm256_fmadd_ps(p, v0, o[i][0]);
            o[i][1] = _mm256_fmadd_ps(p, v1, o[i][1]);
          }
        }
        for (int i = 0; i < nh; ++i) {
          for (int v = 0; v < 2; ++v)
            _mm256_storeu_ps(acc + (hb + i) * padded + e0 + 8 * v, o[i][v]);
        }
      }
    }
  }
  for (int h = 0; h < group; ++h) {
    float* out = a.out + token * a.out_stride + static_cast<int64_t>(kv_head * group + h) * hd;
    Scale(acc + h * padded, 1.0f / sum[h], hd, out);
  }
}

}  // namespace

void FillAvx2Ops(KernelTable* table) {
  table->rms_norm = RmsNorm;
  table->rope = Rope;
  table->swiglu = SwiGlu;
  table->silu = SiluRow;
  table->add = Add;
  table->mul = Mul;
  table->scale = Scale;
  table->softmax = Softmax;
  table->store_row = StoreRow;
  table->attention = Attention;
}

}  // namespace tokenfab::kernels::internal
