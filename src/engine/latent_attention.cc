#include "latent_attention.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tokenfab::engine {
namespace {

template <typename T>
void Grow(std::vector<T>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(n);
}

}  // namespace

void LatentAttention::Queries(kernels::CpuKernels& k, const model::MlaWeights& w,
                              const kernels::RopeTable& rope, const float* h, int64_t n) {
  const model::MlaConfig& m = config_.mla;
  const int64_t n_embd = config_.n_embd;
  const int64_t q_dim = config_.q_dim();
  Grow(q_, n * q_dim);
  if (m.q_lora_rank > 0) {
    Grow(qa_, n * m.q_lora_rank);
    k.MatMul(w.wq_a, h, n_embd, n, qa_.data(), m.q_lora_rank);
    k.RmsNorm(qa_.data(), m.q_lora_rank, n, m.q_lora_rank, w.q_a_norm, config_.rms_eps, qa_.data(),
              m.q_lora_rank);
    k.MatMul(w.wq_b, qa_.data(), m.q_lora_rank, n, q_.data(), q_dim);
  } else {
    k.MatMul(w.wq, h, n_embd, n, q_.data(), q_dim);
  }
  // q_pe: the last n_rot elements of each head.
  k.Rope(rope, q_.data() + m.qk_nope, q_dim, n, static_cast<int>(config_.n_head),
         static_cast<int>(m.qk_head_dim()));
  // Absorbed queries: [attn_k_b[h] q_nope_h | q_pe_h] per head.
  const int64_t latent = m.latent_dim();
  const int64_t qlat_dim = config_.n_head * latent;
  Grow(qlat_, n * qlat_dim);
  for (int64_t head = 0; head < config_.n_head; ++head) {
    const float* q_head = q_.data() + head * m.qk_head_dim();
    float* qlat_head = qlat_.data() + head * latent;
    k.MatMul(w.k_b.At(head), q_head, q_dim, n, qlat_head, qlat_dim);
    for (int64_t t = 0; t < n; ++t) {
      std::copy_n(q_head + t * q_dim + m.qk_nope, m.qk_rope,
                  qlat_head + t * qlat_dim + m.kv_lora_rank);
    }
  }
}

void LatentAttention::Run(kernels::CpuKernels& k, const model::LayerWeights& layer,
                          const kernels::RopeTable& rope, const kernels::KvCacheView& cache,
                          const kernels::KvBatch& kv_batch, const float* h, int64_t n, float* out) {
  const model::MlaConfig& m = config_.mla;
  const model::MlaWeights& w = layer.mla;
  const int64_t latent = m.latent_dim();
  const int n_head = static_cast<int>(config_.n_head);
  Queries(k, w, rope, h, n);

  // The latent row of each token: normed c, rotated k_pe.
  Grow(kv_, n * latent);
  k.MatMul(w.wkv_a, h, config_.n_embd, n, kv_.data(), latent);
  k.RmsNorm(kv_.data(), latent, n, m.kv_lora_rank, w.kv_a_norm, config_.rms_eps, kv_.data(),
            latent);
  k.Rope(rope, kv_.data() + m.kv_lora_rank, latent, n, 1, static_cast<int>(m.qk_rope));
  k.WriteKv(cache, kv_batch, kv_.data(), latent, 1, static_cast<int>(latent));

  // Multi-query attention over the latent rows. Every query head reads the same row: heads are
  // grouped in fixed groups of `group` (a view with head stride 0 presents each group its own
  // "KV head"), so the work splits over tokens and groups at every batch size alike.
  const int group = std::gcd(n_head, 8);
  kernels::KvCacheView shared = cache;
  shared.head_stride = 0;
  const int64_t qlat_dim = config_.n_head * latent;
  Grow(olat_, n * qlat_dim);
  const float scale =
      config_.attention_scale_factor() / std::sqrt(static_cast<float>(m.qk_head_dim()));
  const kernels::AttentionShape shape{n_head, n_head / group, static_cast<int>(latent), scale};
  k.Attention(shape, qlat_.data(), qlat_dim, shared, shared, kv_batch, olat_.data(), qlat_dim);

  // Values: attn_v_b[h] applied to the first kv_lora_rank elements of each head's output.
  const int64_t att_dim = config_.attn_out_dim();
  Grow(att_, n * att_dim);
  for (int64_t head = 0; head < n_head; ++head) {
    k.MatMul(w.v_b.At(head), olat_.data() + head * latent, qlat_dim, n,
             att_.data() + head * m.v_head_dim, att_dim);
  }
  k.MatMul(layer.wo, att_.data(), att_dim, n, out, config_.n_embd);
}

}  // namespace tokenfab::engine
