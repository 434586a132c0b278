// ModelConfig: the hyper-parameters of a llama or qwen2 model, read from a GGUF file's metadata
// and checked for consistency at load time, so that a missing or contradictory value is a clear
// error now rather than a wrong answer later. A plain value.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/model_spec.h"

namespace tokenfab::model {

enum class RopeStyle {
  kNormal,  // llama: adjacent pairs (x[2i], x[2i+1]) rotate (GGUF permutes Q/K rows for this)
  kNeox,    // qwen2: pairs (x[i], x[i + n_rot/2])
};

struct ModelConfig {
  Architecture arch = Architecture::kLlama;
  std::string name;          // general.name, may be empty
  int64_t n_vocab = 0;       // rows of token_embd.weight
  int64_t n_embd = 0;        // <arch>.embedding_length
  int64_t n_layer = 0;       // <arch>.block_count
  int64_t n_head = 0;        // <arch>.attention.head_count
  int64_t n_head_kv = 0;     // <arch>.attention.head_count_kv (default n_head)
  int64_t head_dim = 0;      // <arch>.attention.key_length (default n_embd / n_head)
  int64_t n_ff = 0;          // <arch>.feed_forward_length
  int64_t n_ctx_train = 0;   // <arch>.context_length
  float rms_eps = 1e-5f;     // <arch>.attention.layer_norm_rms_epsilon
  RopeStyle rope_style = RopeStyle::kNormal;
  int64_t n_rot = 0;         // <arch>.rope.dimension_count (default head_dim)
  float rope_freq_base = 10000.0f;  // <arch>.rope.freq_base
  float rope_freq_scale = 1.0f;     // 1 / <arch>.rope.scaling.factor for linear scaling
  bool has_qkv_bias = false;        // blk.N.attn_{q,k,v}.bias present
  bool tied_output = true;          // no output.weight: logits use token_embd.weight

  int64_t q_dim() const { return n_head * head_dim; }
  int64_t kv_dim() const { return n_head_kv * head_dim; }

  // Reads and checks the metadata (tensor shapes are checked by ModelWeights). Errors name the
  // key: "key llama.block_count missing", "llama.attention.head_count_kv = 3 does not divide
  // llama.attention.head_count = 32".
  [[nodiscard]] static StatusOr<ModelConfig> FromGguf(const GgufFile& file);
};

}  // namespace tokenfab::model
