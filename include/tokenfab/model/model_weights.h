// ModelWeights: the tensors of a model of any supported architecture (see ModelConfig), as views
// into the memory-mapped GGUF file (no converted copy of any matrix), each checked at load time for
// its name, shape and type.
//
// Ownership: the matrices point into the GgufFile, which must outlive this object. Small 1-D
// tensors stored in a type other than F32 (norm weights, biases) are converted once into buffers
// owned here. Immutable after FromGguf(); thread-safe to read.
#pragma once

#include <memory>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/mla_weights.h"
#include "tokenfab/model/model_config.h"
#include "tokenfab/model/moe_weights.h"

namespace tokenfab::model {

struct LayerWeights {
  const float* attn_norm = nullptr;  // [n_embd]
  // Ordinary attention (every architecture but deepseek2):
  kernels::WeightMatrix wq;         // [q_dim rows, n_embd cols]
  kernels::WeightMatrix wk;         // [kv_dim, n_embd]
  kernels::WeightMatrix wv;         // [kv_dim, n_embd]
  const float* bq = nullptr;        // [q_dim] (qwen2, glm4moe) or null
  const float* bk = nullptr;        // [kv_dim] or null
  const float* bv = nullptr;        // [kv_dim] or null
  const float* q_norm = nullptr;    // [head_dim] attn_q_norm (QK-norm) or null
  const float* k_norm = nullptr;    // [head_dim] attn_k_norm or null
  MlaWeights mla;                   // deepseek2 (latent attention)
  kernels::WeightMatrix wo;         // [n_embd, attn_out_dim]
  const float* ffn_norm = nullptr;  // [n_embd] (glm4moe: post_attention_norm)
  // Dense feed-forward (dense models and leading dense blocks):
  kernels::WeightMatrix w_gate;  // [n_ff, n_embd]
  kernels::WeightMatrix w_up;    // [n_ff, n_embd]
  kernels::WeightMatrix w_down;  // [n_embd, n_ff]
  bool is_moe = false;           // the feed-forward is `moe` instead
  MoeWeights moe;
};

class ModelWeights {
 public:
  // Errors name the tensor: "tensor blk.3.attn_q.weight missing", "tensor blk.0.ffn_up.weight:
  // shape [896, 4000], expected [896, 4864]", "tensor output.weight: type iq2_xs is not supported".
  [[nodiscard]] static StatusOr<ModelWeights> FromGguf(const GgufFile& file,
                                                       const ModelConfig& config);

  ModelWeights(ModelWeights&&) noexcept = default;
  ModelWeights& operator=(ModelWeights&&) noexcept = default;

  const kernels::WeightMatrix& token_embd() const { return token_embd_; }  // [n_vocab, n_embd]
  const kernels::WeightMatrix& output() const {
    return output_;
  }                                                          // [n_vocab, n_embd]; may be token_embd
  const float* output_norm() const { return output_norm_; }  // [n_embd]
  const std::vector<LayerWeights>& layers() const { return layers_; }
  // Bytes of every matrix one token's decode step reads once (all layers and the output; of
  // each MoE block the router, n_expert_used routed experts and the shared experts), for
  // bandwidth figures.
  int64_t DecodeWeightBytes() const;

 private:
  ModelWeights() = default;

  kernels::WeightMatrix token_embd_;
  kernels::WeightMatrix output_;
  const float* output_norm_ = nullptr;
  std::vector<LayerWeights> layers_;
  int64_t experts_used_ = 0;                         // config.moe.n_expert_used
  std::vector<std::unique_ptr<float[]>> converted_;  // 1-D tensors not stored as F32
};

}  // namespace tokenfab::model
