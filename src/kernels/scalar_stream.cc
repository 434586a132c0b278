// Portable scalar matrix-vector kernels for every weight type: the fallback for CPUs without AVX2
// and the plain reference the SIMD levels are tested against. The activation quantisers here
// define the integers every level computes with (see act_quant.h).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernels/act_quant.h"
#include "kernels/kernel_table.h"
#include "kernels/quantize_k.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {
namespace {

// ---- Activation preparation -------------------------------------------------------------------

int64_t Q8BlocksBytesFn(int64_t k) { return Q8BlocksBytes(k); }
int64_t ActQ8KBytesFn(int64_t k) { return ActQ8KBytes(k); }

// Quantises n values with one scale: d = max|x| / 127, q = round_half_even(x / d).
float QuantizeSymmetric(const float* x, int n, int8_t* q) {
  float amax = 0;
  for (int j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  for (int j = 0; j < n; ++j) q[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
  return d;
}

void PrepareQ8Blocks(const float* x, int64_t k, uint8_t* out) {
  int8_t* qs = reinterpret_cast<int8_t*>(out);
  float* d = reinterpret_cast<float*>(out + Q8BlocksDOffset(k));
  int32_t* sum = reinterpret_cast<int32_t*>(out + Q8BlocksSumOffset(k));
  for (int64_t b = 0; b < k / kActBlock; ++b) {
    d[b] = QuantizeSymmetric(x + b * kActBlock, kActBlock, qs + b * kActBlock);
    int32_t s = 0;
    for (int j = 0; j < kActBlock; ++j) s += qs[b * kActBlock + j];
    sum[b] = s;
  }
}

void PrepareQ8K(const float* x, int64_t k, uint8_t* out) {
  ActQ8K* blocks = reinterpret_cast<ActQ8K*>(out);
  for (int64_t b = 0; b < k / kActSuperBlock; ++b) {
    ActQ8K& a = blocks[b];
    a.d = QuantizeSymmetric(x + b * kActSuperBlock, kActSuperBlock, a.qs);
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int j = 0; j < 16; ++j) s += a.qs[g * 16 + j];
      a.bsums[g] = static_cast<int16_t>(s);
    }
    for (int g = 0; g < 8; ++g) {
      a.bsums32[g] = static_cast<int16_t>(a.bsums[2 * g] + a.bsums[2 * g + 1]);
    }
  }
}

// ---- Dot products of one weight row with one prepared column ----------------------------------

float DotF32(const uint8_t* w, const uint8_t* act, int64_t k) {
  const float* a = reinterpret_cast<const float*>(w);
  const float* x = reinterpret_cast<const float*>(act);
  float sum[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    for (int j = 0; j < 4; ++j) sum[j] += a[i + j] * x[i + j];
  }
  for (; i < k; ++i) sum[0] += a[i] * x[i];
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

float DotF16(const uint8_t* w, const uint8_t* act, int64_t k) {
  const uint16_t* a = reinterpret_cast<const uint16_t*>(w);
  const float* x = reinterpret_cast<const float*>(act);
  float sum[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    for (int j = 0; j < 4; ++j) sum[j] += HalfToFloat(a[i + j]) * x[i + j];
  }
  for (; i < k; ++i) sum[0] += HalfToFloat(a[i]) * x[i];
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

float DotBF16(const uint8_t* w, const uint8_t* act, int64_t k) {
  const uint16_t* a = reinterpret_cast<const uint16_t*>(w);
  const float* x = reinterpret_cast<const float*>(act);
  float sum[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= k; i += 4) {
    for (int j = 0; j < 4; ++j) sum[j] += Bf16ToFloat(a[i + j]) * x[i + j];
  }
  for (; i < k; ++i) sum[0] += Bf16ToFloat(a[i]) * x[i];
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

float DotQ8_0(const uint8_t* w, const uint8_t* act, int64_t k) {
  const BlockQ8_0* blocks = reinterpret_cast<const BlockQ8_0*>(w);
  const int8_t* qs = reinterpret_cast<const int8_t*>(act);
  const float* d = reinterpret_cast<const float*>(act + Q8BlocksDOffset(k));
  float sum = 0;
  for (int64_t b = 0; b < k / kQK8_0; ++b) {
    int32_t isum = 0;
    for (int j = 0; j < kQK8_0; ++j) isum += blocks[b].qs[j] * qs[b * kQK8_0 + j];
    sum += HalfToFloat(blocks[b].d) * d[b] * static_cast<float>(isum);
  }
  return sum;
}

float DotQ4_0(const uint8_t* w, const uint8_t* act, int64_t k) {
  const BlockQ4_0* blocks = reinterpret_cast<const BlockQ4_0*>(w);
  const int8_t* qs = reinterpret_cast<const int8_t*>(act);
  const float* d = reinterpret_cast<const float*>(act + Q8BlocksDOffset(k));
  const int32_t* asum = reinterpret_cast<const int32_t*>(act + Q8BlocksSumOffset(k));
  float sum = 0;
  for (int64_t b = 0; b < k / kQK4_0; ++b) {
    const int8_t* a = qs + b * kQK4_0;
    int32_t isum = 0;
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      isum += (blocks[b].qs[j] & 0x0f) * a[j] + (blocks[b].qs[j] >> 4) * a[j + kQK4_0 / 2];
    }
    isum -= 8 * asum[b];
    sum += HalfToFloat(blocks[b].d) * d[b] * static_cast<float>(isum);
  }
  return sum;
}

float DotQ4_K(const uint8_t* w, const uint8_t* act, int64_t k) {
  const BlockQ4_K* blocks = reinterpret_cast<const BlockQ4_K*>(w);
  const ActQ8K* acts = reinterpret_cast<const ActQ8K*>(act);
  float sum = 0;
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const BlockQ4_K& x = blocks[b];
    const ActQ8K& a = acts[b];
    int32_t isum = 0, msum = 0;
    for (int j = 0; j < 8; ++j) {
      int sc, m;
      Q4KScaleMin(x.scales, j, &sc, &m);
      const uint8_t* q = x.qs + 32 * (j / 2);
      const int shift = (j % 2) * 4;
      int32_t dot = 0;
      for (int l = 0; l < 32; ++l) dot += ((q[l] >> shift) & 0x0f) * a.qs[32 * j + l];
      isum += sc * dot;
      msum += m * a.bsums32[j];
    }
    sum += a.d * (HalfToFloat(x.d) * static_cast<float>(isum) -
                  HalfToFloat(x.dmin) * static_cast<float>(msum));
  }
  return sum;
}

float DotQ6_K(const uint8_t* w, const uint8_t* act, int64_t k) {
  const BlockQ6_K* blocks = reinterpret_cast<const BlockQ6_K*>(w);
  const ActQ8K* acts = reinterpret_cast<const ActQ8K*>(act);
  float sum = 0;
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    const BlockQ6_K& x = blocks[b];
    const ActQ8K& a = acts[b];
    int32_t isum = 0;
    for (int e = 0; e < kQK_K; e += 16) {  // one sub-block of 16 per scale
      int32_t dot = 0;
      for (int i = e; i < e + 16; ++i) {
        // Element i: half n = i / 128, l = i % 32, part = (i % 128) / 32.
        const int n = i / 128, l = i % 32, part = (i % 128) / 32;
        const uint8_t low = x.ql[64 * n + l + 32 * (part & 1)];
        const int q =
            (part < 2 ? low & 0x0f : low >> 4) | (((x.qh[32 * n + l] >> (2 * part)) & 3) << 4);
        dot += q * a.qs[i];
      }
      isum += x.scales[e / 16] * (dot - 32 * a.bsums[e / 16]);
    }
    sum += a.d * HalfToFloat(x.d) * static_cast<float>(isum);
  }
  return sum;
}

template <float (*Dot)(const uint8_t*, const uint8_t*, int64_t)>
void Rows(const StreamArgs& a, int64_t row_begin, int64_t row_end) {
  for (int64_t r = row_begin; r < row_end; ++r) {
    const uint8_t* w = a.w + r * a.row_bytes;
    for (int64_t c = 0; c < a.n_cols; ++c) {
      a.y[c * a.y_stride + r] = Dot(w, a.act + c * a.act_stride, a.k);
    }
  }
}

}  // namespace

void FillScalarStream(KernelTable* table) {
  StreamKernel* stream = table->stream;
  stream[kMatF32] = {Rounding::kNone, nullptr, nullptr, Rows<DotF32>};
  stream[kMatF16] = {Rounding::kNone, nullptr, nullptr, Rows<DotF16>};
  stream[kMatBF16] = {Rounding::kNone, nullptr, nullptr, Rows<DotBF16>};
  stream[kMatQ8_0] = {Rounding::kQ8Blocks32, Q8BlocksBytesFn, PrepareQ8Blocks, Rows<DotQ8_0>};
  stream[kMatQ4_0] = {Rounding::kQ8Blocks32, Q8BlocksBytesFn, PrepareQ8Blocks, Rows<DotQ4_0>};
  stream[kMatQ4_K] = {Rounding::kQ8Blocks256, ActQ8KBytesFn, PrepareQ8K, Rows<DotQ4_K>};
  stream[kMatQ6_K] = {Rounding::kQ8Blocks256, ActQ8KBytesFn, PrepareQ8K, Rows<DotQ6_K>};
}

}  // namespace tokenfab::kernels::internal
