// AVX-512 kernels for RMSNorm, RoPE, SiLU / SwiGLU, element-wise ops, softmax, KV stores and
// attention.
#include "kernels/avx512_common.h"
#include "kernels/kernel_table.h"

namespace tokenfab::kernels::internal {
namespace {

using avx512::ExpScalar;
using avx512::FirstLanes16;
using avx512::Infinity;
using avx512::MinI;

inline __m512 Set1(float v) { return _mm512_set1_ps(v); }

// e^x to about 1 ulp: x = n ln2 + r, |r| <= ln2 / 2, degree-7 Taylor polynomial for e^r, then
// scalef by 2^n (which gives +inf above ~88.7 and 0 / subnormals below ~-87.3).
__m512 Exp(__m512 x) {
  x = _mm512_max_ps(_mm512_min_ps(x, Set1(89.0f)), Set1(-104.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, Set1(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, Set1(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, Set1(-2.12194440e-4f), r);
  __m512 p = Set1(1.0f / 5040);
  p = _mm512_fmadd_ps(p, r, Set1(1.0f / 720));
  p = _mm512_fmadd_ps(p, r, Set1(1.0f / 120));
  p = _mm512_fmadd_ps(p, r, Set1(1.0f / 24));
  p = _mm512_fmadd_ps(p, r, Set1(1.0f / 6));
  p = _mm512_fmadd_ps(p, r, Set1(0.5f));
  p = _mm512_fmadd_ps(p, r, Set1(1.0f));
  p = _mm512_fmadd_ps(p, r, Set1(1.0f));
  return _mm512_scalef_ps(p, n);
}

__m512 Silu(__m512 x) {
  return _mm512_div_ps(x, _mm512_add_ps(Set1(1.0f), Exp(_mm512_sub_ps(_mm512_setzero_ps(), x))));
}

void RmsNorm(const float* x, int64_t n, const float* weight, float eps, float* y) {
  __m512 sum0 = _mm512_setzero_ps(), sum1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
    sum0 = _mm512_fmadd_ps(a, a, sum0);
    sum1 = _mm512_fmadd_ps(b, b, sum1);
  }
  for (; i < n; i += 16) {
    const __m512 a = _mm512_maskz_loadu_ps(FirstLanes16(n - i), x + i);
    sum0 = _mm512_fmadd_ps(a, a, sum0);
  }
  const float mean = _mm512_reduce_add_ps(_mm512_add_ps(sum0, sum1)) / static_cast<float>(n);
  const __m512 scale = Set1(1.0f / avx512::SqrtScalar(mean + eps));
  for (i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), scale);
    if (weight != nullptr) v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, weight + i));
    _mm512_mask_storeu_ps(y + i, m, v);
  }
}

void Rope(const float* cos_sin, int n_dims, bool neox, float* x, int n_heads, int head_dim) {
  const int half = n_dims / 2;
  const float* cosines = cos_sin;
  const float* sines = cos_sin + half;
  const __m512i dup = _mm512_set_epi32(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0);
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    if (neox) {  // pairs (v[i], v[i + half])
      for (int i = 0; i < half; i += 16) {
        const __mmask16 m = FirstLanes16(half - i);
        const __m512 c = _mm512_maskz_loadu_ps(m, cosines + i),
                     s = _mm512_maskz_loadu_ps(m, sines + i);
        const __m512 x0 = _mm512_maskz_loadu_ps(m, v + i),
                     x1 = _mm512_maskz_loadu_ps(m, v + half + i);
        _mm512_mask_storeu_ps(v + i, m, _mm512_fmsub_ps(x0, c, _mm512_mul_ps(x1, s)));
        _mm512_mask_storeu_ps(v + half + i, m, _mm512_fmadd_ps(x0, s, _mm512_mul_ps(x1, c)));
      }
    } else {  // adjacent pairs (v[2i], v[2i + 1]), 8 pairs per vector
      for (int i = 0; i < half; i += 8) {
        const __mmask16 m8 = FirstLanes16(half - i), m = FirstLanes16(2 * (half - i));
        const __m512 c = _mm512_permutexvar_ps(dup, _mm512_maskz_loadu_ps(m8, cosines + i));
        const __m512 s = _mm512_permutexvar_ps(dup, _mm512_maskz_loadu_ps(m8, sines + i));
        const __m512 xv = _mm512_maskz_loadu_ps(m, v + 2 * i);
        const __m512 swapped = _mm512_permute_ps(xv, 0xb1);  // (x1, x0) per pair
        // even lanes: x0 c - x1 s; odd lanes: x1 c + x0 s
        _mm512_mask_storeu_ps(v + 2 * i, m, _mm512_fmaddsub_ps(xv, c, _mm512_mul_ps(swapped, s)));
      }
    }
  }
}

void SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(Silu(g), _mm512_maskz_loadu_ps(m, up + i)));
  }
}

void SiluRow(const float* x, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    _mm512_mask_storeu_ps(out + i, m, Silu(_mm512_maskz_loadu_ps(m, x + i)));
  }
}

void Add(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    _mm512_mask_storeu_ps(
        out + i, m,
        _mm512_add_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i)));
  }
}

void Mul(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    _mm512_mask_storeu_ps(
        out + i, m,
        _mm512_mul_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i)));
  }
}

void Scale(const float* x, float s, int64_t n, float* out) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), Set1(s)));
  }
}

void Softmax(float* x, int64_t n) {
  __m512 max = Set1(-Infinity());
  for (int64_t i = 0; i < n; i += 16) {
    max = _mm512_max_ps(max, _mm512_mask_loadu_ps(max, FirstLanes16(n - i), x + i));
  }
  const __m512 mx = Set1(_mm512_reduce_max_ps(max));
  // The sum is kept in double: rows can be a whole vocabulary (150k values).
  __m512d sum = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    const __m512 e =
        _mm512_maskz_mov_ps(m, Exp(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mx)));
    sum = _mm512_add_pd(sum, _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(e)),
                                           _mm512_cvtps_pd(_mm512_extractf32x8_ps(e, 1))));
    _mm512_mask_storeu_ps(x + i, m, e);
  }
  const __m512 inv = Set1(static_cast<float>(1.0 / _mm512_reduce_add_pd(sum)));
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
  }
}

void StoreRow(const float* src, int64_t n, bool f16, void* dst) {
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = FirstLanes16(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, src + i);
    if (f16) {
      _mm256_mask_storeu_epi16(static_cast<uint16_t*>(dst) + i, m,
                               _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    } else {
      _mm512_mask_storeu_ps(static_cast<float*>(dst) + i, m, v);
    }
  }
}

constexpr int kKeysPerChunk = 64;
constexpr int kMaxGroup = 8;  // heads whose weighted values are accumulated together

// The sums of 16 vectors as one vector (lane j = sum of a[j]): pairwise unpack-and-add in three
// rounds (45 operations instead of 16 separate reductions).
inline __m512 Reduce16(const __m512* a) {
  __m512 x[8], y[4];
  for (int i = 0; i < 8; ++i) {
    x[i] = _mm512_add_ps(_mm512_unpacklo_ps(a[2 * i], a[2 * i + 1]),
                         _mm512_unpackhi_ps(a[2 * i], a[2 * i + 1]));
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d lo =
        _mm512_unpacklo_pd(_mm512_castps_pd(x[2 * i]), _mm512_castps_pd(x[2 * i + 1]));
    const __m512d hi =
        _mm512_unpackhi_pd(_mm512_castps_pd(x[2 * i]), _mm512_castps_pd(x[2 * i + 1]));
    y[i] = _mm512_add_ps(_mm512_castpd_ps(lo), _mm512_castpd_ps(hi));  // lane L: keys 4i..4i+3
  }
  const __m512 za =
      _mm512_add_ps(_mm512_shuffle_f32x4(y[0], y[1], 0x44), _mm512_shuffle_f32x4(y[0], y[1], 0xee));
  const __m512 zb =
      _mm512_add_ps(_mm512_shuffle_f32x4(y[2], y[3], 0x44), _mm512_shuffle_f32x4(y[2], y[3], 0xee));
  return _mm512_add_ps(_mm512_shuffle_f32x4(za, zb, 0x88), _mm512_shuffle_f32x4(za, zb, 0xdd));
}

// Copies n cached K/V rows (f16 or f32) to float rows of `padded` values (zeros past head_dim).
void ConvertRows(const uint8_t* const* rows, int n, bool f16, int head_dim, int padded,
                 float* out) {
  for (int i = 0; i < n; ++i, out += padded) {
    for (int e = 0; e < padded; e += 16) {
      const __mmask16 m = FirstLanes16(head_dim - e);
      const __m512 v = f16 ? _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(
                                 m, reinterpret_cast<const uint16_t*>(rows[i]) + e))
                           : _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(rows[i]) + e);
      _mm512_store_ps(out + e, v);
    }
  }
}

// scores[j] = q . k_j * scale for the chunk's keys, 16 keys per vector; keys past n are -inf.
void Scores(const float* q, const float* keys, int n, int head_dim, int padded, float scale,
            float* scores) {
  for (int j0 = 0; j0 < n; j0 += 16) {
    const int nj = static_cast<int>(MinI(16, n - j0));
    __m512 acc[16];
    for (int j = 0; j < 16; ++j) acc[j] = _mm512_setzero_ps();
    for (int e = 0; e < padded; e += 16) {
      const __m512 qv = _mm512_maskz_loadu_ps(FirstLanes16(head_dim - e), q + e);
      for (int j = 0; j < nj; ++j)
        acc[j] = _mm512_fmadd_ps(qv, _mm512_load_ps(keys + (j0 + j) * padded + e), acc[j]);
    }
    const __m512 s = _mm512_mul_ps(Reduce16(acc), Set1(scale));
    _mm512_store_ps(scores + j0, _mm512_mask_mov_ps(Set1(-Infinity()), FirstLanes16(nj), s));
  }
}

// Online softmax over chunks of 64 keys. Per chunk: the keys and values are converted to float
// once for all heads of the group; scores come 16 keys per vector; the weighted values are
// accumulated for up to 4 heads x 64 dims in registers, each value row loaded once per block.
void Attention(const AttentionArgs& a, int64_t token, int kv_head, float* scratch) {
  const int group = a.n_head / a.n_head_kv;
  const int hd = a.head_dim;
  const int padded = (hd + 15) / 16 * 16;
  const int32_t* block_table = a.block_tables[token];
  const int64_t n_kv = static_cast<int64_t>(a.positions[token]) + 1;
  // Scratch (64-byte aligned, every part a multiple of 16 floats except the last).
  float* acc = scratch;                           // [group][padded]
  float* scores = acc + group * padded;           // [group][64]
  float* keys = scores + group * kKeysPerChunk;   // [64][padded]
  float* values = keys + kKeysPerChunk * padded;  // [64][padded]
  float* max = values + kKeysPerChunk * padded;   // [group]
  float* sum = max + group;                       // [group]
  const float* q = a.q + token * a.q_stride + static_cast<int64_t>(kv_head) * group * hd;
  for (int h = 0; h < group; ++h) {
    max[h] = -Infinity();
    sum[h] = 0;
  }
  avx512::ZeroFloats(acc, static_cast<int64_t>(group) * padded);
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
    float correction[kMaxGroup];
    for (int h = 0; h < group; ++h) {
      float* s = scores + h * kKeysPerChunk;
      Scores(q + h * hd, keys, nt, hd, padded, a.scale, s);
      __m512 mx = Set1(max[h]);
      for (int i = 0; i < nt; i += 16) mx = _mm512_max_ps(mx, _mm512_load_ps(s + i));
      const float new_max = _mm512_reduce_max_ps(mx);
      correction[h % kMaxGroup] = ExpScalar(max[h] - new_max);
      max[h] = new_max;
      __m512 total = _mm512_setzero_ps();
      for (int i = 0; i < nt; i += 16) {  // lanes past nt hold -inf: e^-inf = 0
        const __m512 p = Exp(_mm512_sub_ps(_mm512_load_ps(s + i), Set1(new_max)));
        _mm512_store_ps(s + i, p);
        total = _mm512_add_ps(total, p);
      }
      sum[h] = sum[h] * correction[h % kMaxGroup] + _mm512_reduce_add_ps(total);
      if (h % kMaxGroup == kMaxGroup - 1 || h == group - 1) {
        // Weighted values for heads [h0, h]: 4 heads x 4 vectors of accumulators in registers.
        const int h0 = h - h % kMaxGroup;
        for (int hb = h0; hb <= h; hb += 4) {
          const int nh = static_cast<int>(MinI(4, h + 1 - hb));
          for (int e0 = 0; e0 < padded; e0 += 64) {
            const int nv = static_cast<int>(MinI(4, (padded - e0) / 16));
            __m512 o[4][4];
            for (int i = 0; i < nh; ++i) {
              for (int v = 0; v < nv; ++v) {
                o[i][v] = _mm512_mul_ps(_mm512_load_ps(acc + (hb + i) * padded + e0 + 16 * v),
                                        Set1(correction[(hb + i) % kMaxGroup]));
              }
            }
            for (int j = 0; j < nt; ++j) {
              const float* row = values + j * padded + e0;
              for (int v = 0; v < nv; ++v) {
                const __m512 vv = _mm512_load_ps(row + 16 * v);
                for (int i = 0; i < nh; ++i) {
                  o[i][v] =
                      _mm512_fmadd_ps(Set1(scores[(hb + i) * kKeysPerChunk + j]), vv, o[i][v]);
                }
              }
            }
            for (int i = 0; i < nh; ++i) {
              for (int v = 0; v < nv; ++v)
                _mm512_store_ps(acc + (hb + i) * padded + e0 + 16 * v, o[i][v]);
            }
          }
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

void FillAvx512Ops(KernelTable* table) {
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
