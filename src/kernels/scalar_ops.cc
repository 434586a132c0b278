// Portable scalar kernels for the element-wise ops, RMSNorm, RoPE, softmax, KV stores and
// attention.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "kernels/kernel_table.h"
#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {
namespace {

void RmsNorm(const float* x, int64_t n, const float* weight, float eps, float* y) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = 1.0f / std::sqrt(static_cast<float>(sum / static_cast<double>(n)) + eps);
  if (weight != nullptr) {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale * weight[i];
  } else {
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] * scale;
  }
}

void Rope(const float* cos_sin, int n_dims, bool neox, float* x, int n_heads, int head_dim) {
  const int half = n_dims / 2;
  for (int h = 0; h < n_heads; ++h) {
    float* v = x + static_cast<int64_t>(h) * head_dim;
    for (int i = 0; i < half; ++i) {
      const float c = cos_sin[i], s = cos_sin[half + i];
      float* p0 = neox ? v + i : v + 2 * i;
      float* p1 = neox ? v + i + half : v + 2 * i + 1;
      const float x0 = *p0, x1 = *p1;
      *p0 = x0 * c - x1 * s;
      *p1 = x0 * s + x1 * c;
    }
  }
}

float SiluOne(float x) { return x / (1.0f + std::exp(-x)); }

void SwiGlu(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = SiluOne(gate[i]) * up[i];
}

void Silu(const float* x, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = SiluOne(x[i]);
}

void Add(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

void Mul(const float* a, const float* b, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

void Scale(const float* x, float s, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * s;
}

void Softmax(float* x, int64_t n) {
  float max = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void StoreRow(const float* src, int64_t n, bool f16, void* dst) {
  if (f16) {
    uint16_t* h = static_cast<uint16_t*>(dst);
    for (int64_t i = 0; i < n; ++i) h[i] = FloatToHalf(src[i]);
  } else {
    std::memcpy(dst, src, n * sizeof(float));
  }
}

float LoadKv(const uint8_t* row, bool f16, int i) {
  return f16 ? HalfToFloat(reinterpret_cast<const uint16_t*>(row)[i])
             : reinterpret_cast<const float*>(row)[i];
}

// Online softmax over the sequence's positions, one query head after another.
void Attention(const AttentionArgs& a, int64_t token, int kv_head, float* scratch) {
  const int group = a.n_head / a.n_head_kv;
  const int32_t* block_table = a.block_tables[token];
  const int64_t n_kv = static_cast<int64_t>(a.positions[token]) + 1;
  float* acc = scratch;  // [head_dim]
  for (int g = 0; g < group; ++g) {
    const int head = kv_head * group + g;
    const float* q = a.q + token * a.q_stride + static_cast<int64_t>(head) * a.head_dim;
    float max = -std::numeric_limits<float>::infinity(), sum = 0;
    std::fill(acc, acc + a.head_dim, 0.0f);
    for (int64_t p = 0; p < n_kv; ++p) {
      const int64_t block = block_table[p / a.block_tokens], slot = p % a.block_tokens;
      const uint8_t* k =
          a.k_base + block * a.k_block_stride + slot * a.k_token_stride + kv_head * a.k_head_stride;
      const uint8_t* v =
          a.v_base + block * a.v_block_stride + slot * a.v_token_stride + kv_head * a.v_head_stride;
      float s = 0;
      for (int i = 0; i < a.head_dim; ++i) s += q[i] * LoadKv(k, a.k_f16, i);
      s *= a.scale;
      if (s > max) {
        const float correction = std::exp(max - s);
        sum *= correction;
        for (int i = 0; i < a.head_dim; ++i) acc[i] *= correction;
        max = s;
      }
      const float weight = std::exp(s - max);
      sum += weight;
      for (int i = 0; i < a.head_dim; ++i) acc[i] += weight * LoadKv(v, a.v_f16, i);
    }
    float* out = a.out + token * a.out_stride + static_cast<int64_t>(head) * a.head_dim;
    const float inv = 1.0f / sum;
    for (int i = 0; i < a.head_dim; ++i) out[i] = acc[i] * inv;
  }
}

}  // namespace

void FillScalarOps(KernelTable* table) {
  table->rms_norm = RmsNorm;
  table->rope = Rope;
  table->swiglu = SwiGlu;
  table->silu = Silu;
  table->add = Add;
  table->mul = Mul;
  table->scale = Scale;
  table->softmax = Softmax;
  table->store_row = StoreRow;
  table->attention = Attention;
}

}  // namespace tokenfab::kernels::internal
