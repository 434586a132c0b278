// ModelConfig: the hyper-parameters of a llama, qwen2, qwen3, qwen3moe, deepseek2 or glm4moe
// model, read from a GGUF file's metadata and checked for consistency at load time, so that a
// missing or contradictory value is a clear error now rather than a wrong answer later. A plain
// value.
//
// Attention geometry: for every architecture but deepseek2, n_head_kv and head_dim are the key /
// value heads as usual. deepseek2 uses multi-head latent attention (mla): the KV cache holds one
// latent row per token, so n_head_kv = 1 and head_dim = mla.latent_dim() describe that row (as
// llama.cpp's MLA files write them), and the query heads are mla.qk_head_dim() long.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/mla_config.h"
#include "tokenfab/model/model_spec.h"
#include "tokenfab/model/moe_config.h"
#include "tokenfab/model/rope_scaling.h"

namespace tokenfab::model {

enum class RopeStyle {
  kNormal,  // llama: adjacent pairs (x[2i], x[2i+1]) rotate (GGUF permutes Q/K rows for this)
  kNeox,    // qwen2, qwen3, qwen3moe, glm4moe: pairs (x[i], x[i + n_rot/2])
};

struct ModelConfig {
  Architecture arch = Architecture::kLlama;
  std::string name;           // general.name, may be empty
  int64_t n_vocab = 0;        // rows of token_embd.weight
  int64_t n_embd = 0;         // <arch>.embedding_length
  int64_t n_layer = 0;        // blocks run: <arch>.block_count - n_layer_nextn
  int64_t n_layer_nextn = 0;  // <arch>.nextn_predict_layers: trailing multi-token-prediction
                              // blocks (glm4moe), kept in the file but not run
  int64_t n_head = 0;         // <arch>.attention.head_count
  int64_t n_head_kv = 0;      // <arch>.attention.head_count_kv (default n_head)
  int64_t head_dim = 0;       // <arch>.attention.key_length (default n_embd / n_head); mla: the
                              // latent row kv_lora_rank + n_rot
  int64_t n_ff = 0;           // <arch>.feed_forward_length
  int64_t n_ctx_train = 0;    // <arch>.context_length
  float rms_eps = 1e-5f;      // <arch>.attention.layer_norm_rms_epsilon
  RopeStyle rope_style = RopeStyle::kNormal;
  int64_t n_rot = 0;                // <arch>.rope.dimension_count (default head_dim)
  float rope_freq_base = 10000.0f;  // <arch>.rope.freq_base
  RopeScaling rope_scaling;         // <arch>.rope.scaling.*: none, linear or yarn
  bool has_qkv_bias = false;        // blk.N.attn_{q,k,v}.bias present
  bool tied_output = true;          // no output.weight: logits use token_embd.weight
  bool has_qk_norm = false;         // blk.N.attn_{q,k}_norm: RMSNorm of each Q and K head
  MoeConfig moe;                    // moe.n_expert == 0: dense feed-forward in every block
  MlaConfig mla;                    // deepseek2 only

  // Elements of all query heads, and of all heads' attention output (the input of attn_output).
  int64_t q_dim() const { return n_head * (mla.enabled() ? mla.qk_head_dim() : head_dim); }
  int64_t attn_out_dim() const { return n_head * (mla.enabled() ? mla.v_head_dim : head_dim); }
  // Elements of all key heads one token caches (mla: the latent row).
  int64_t kv_dim() const { return n_head_kv * head_dim; }
  // Elements of one cached value head: head_dim, or 0 under mla, where the values are the first
  // kv_lora_rank elements of the cached key row and take no memory of their own.
  int64_t kv_value_head_dim() const { return mla.enabled() ? 0 : head_dim; }
  // The RoPE of every block: pairing, rotated elements, base and scaling (YaRN included).
  kernels::RopeParams rope_params() const;
  // What the attention scale 1 / sqrt(query head length) is multiplied by: deepseek2's YaRN
  // mscale^2, else 1 (see RopeScaling).
  float attention_scale_factor() const {
    return static_cast<float>(rope_scaling.AttentionScaleFactor(arch));
  }

  // Reads and checks the metadata (tensor shapes are checked by ModelWeights). Errors name the
  // key: "key llama.block_count missing", "llama.attention.head_count_kv = 3 does not divide
  // llama.attention.head_count = 32".
  [[nodiscard]] static StatusOr<ModelConfig> FromGguf(const GgufFile& file);
};

}  // namespace tokenfab::model
