// LatentAttention: multi-head latent attention (deepseek2: DeepSeek V2/V3/R1, Kimi K2) of one
// block over a batch of tokens, caching only the compressed latent row of each token.
//
// Per token: kv = attn_kv_a_mqa x = [c (kv_lora_rank) | k_pe (n_rot)]; c is RMS-normed, k_pe
// rotated, and the row [c | k_pe] is written to the KV cache (the "keys" of a one-head cache;
// the values are its first kv_lora_rank elements, see KvCacheShape::value_head_dim). Queries q =
// attn_q x (or attn_q_b norm(attn_q_a x)) split per head into q_nope | q_pe (rotated). The
// absorbed query of head h, [attn_k_b[h] q_nope | q_pe], scores against the cached rows exactly
// as the decompressed key [W_UK c | k_pe] would (scale 1 / sqrt(qk_nope + n_rot), times YaRN's
// mscale^2 when the file scales its RoPE so: ModelConfig::attention_scale_factor), so attention
// runs as multi-query attention over the latent rows; the latent output o_h (first kv_lora_rank
// elements) becomes the head's value by attn_v_b[h] o_h, and attn_output mixes the heads.
//
// Ownership: owns scratch buffers (grow to the largest batch); borrows everything else per call.
// Not thread-safe (the model runner's engine thread).
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/model_config.h"
#include "tokenfab/model/model_weights.h"

namespace tokenfab::engine {

class LatentAttention {
 public:
  // REQUIRES: config.mla.enabled().
  explicit LatentAttention(const model::ModelConfig& config) : config_(config) {}

  // Attention of the n tokens of `kv_batch` for input rows h (stride n_embd, normed); writes the
  // latent rows into `cache` (keys and values) and out[t, :] = attn_output(...) (stride n_embd).
  void Run(kernels::CpuKernels& kernels, const model::LayerWeights& w,
           const kernels::RopeTable& rope, const kernels::KvCacheView& cache,
           const kernels::KvBatch& kv_batch, const float* h, int64_t n, float* out);

 private:
  void Queries(kernels::CpuKernels& kernels, const model::MlaWeights& w,
               const kernels::RopeTable& rope, const float* h, int64_t n);

  const model::ModelConfig& config_;
  std::vector<float> qa_;    // [n, q_lora_rank]
  std::vector<float> q_;     // [n, n_head * qk_head_dim]
  std::vector<float> kv_;    // [n, latent]
  std::vector<float> qlat_;  // [n, n_head * latent] absorbed queries
  std::vector<float> olat_;  // [n, n_head * latent] latent attention output
  std::vector<float> att_;   // [n, n_head * v_head_dim]
};

}  // namespace tokenfab::engine
