// ModelSpec: everything `tokenfab model create` needs to build a model file, apart from the
// vocabulary: architecture, shape, weight scheme and the random initialisation. Named shapes
// (NamedShapes()) spare users the numbers of well-known models.
//
// Plain values; the functions are pure and thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/model/weight_scheme.h"

namespace tokenfab::model {

// general.architecture. All are decoder-only transformers with RMSNorm, RoPE and SwiGLU
// feed-forwards. llama: grouped-query attention. qwen2: adds Q/K/V biases and rotates heads
// NeoX-style. qwen3: qwen2 without biases, with an RMSNorm on every Q and K head (QK-norm).
// qwen3moe: qwen3 with a mixture of experts in every block. deepseek2 (DeepSeek V2/V3/R1, Kimi
// K2): multi-head latent attention and routed plus shared experts after leading dense blocks.
// glm4moe (GLM-4.5/4.6): Q/K/V biases, partial NeoX RoPE, optional QK-norm, sigmoid-routed plus
// shared experts after leading dense blocks.
enum class Architecture { kLlama, kQwen2, kQwen3, kQwen3Moe, kDeepseek2, kGlm4Moe };

// "llama", "qwen2", "qwen3", "qwen3moe", "deepseek2", "glm4moe".
std::string_view ArchitectureName(Architecture arch);
[[nodiscard]] StatusOr<Architecture> ParseArchitecture(std::string_view name);
// "llama, qwen2, qwen3, qwen3moe, deepseek2, glm4moe", for messages.
std::string KnownArchitectureNames();
// llama.cpp's RoPE pairing for the architecture: NeoX (halves) or normal (adjacent pairs).
bool UsesNeoxRope(Architecture arch);

// The experts of a mixture-of-experts shape (experts == 0: dense).
struct MoeShape {
  int64_t experts = 0;         // routed experts per MoE block
  int64_t experts_used = 0;    // experts per token
  int64_t shared_experts = 0;  // shared experts (deepseek2, glm4moe)
  int64_t expert_ffn = 0;      // hidden length of one expert
  int64_t dense_layers = 0;    // leading blocks with a dense feed-forward (deepseek2, glm4moe)
  bool sigmoid = false;        // sigmoid gating with a selection bias (else softmax)
  bool norm_weights = true;    // normalise the chosen experts' weights
  double weights_scale = 1.0;  // routed scaling factor
  int64_t groups = 1;          // expert groups (group-limited routing when > 1)
  int64_t groups_used = 1;     // groups a token may use
};

// Multi-head latent attention (deepseek2; kv_lora_rank == 0: none).
struct MlaShape {
  int64_t q_lora_rank = 0;   // 0: no query compression (V2-Lite)
  int64_t kv_lora_rank = 0;  // latent width
  int64_t qk_nope = 0;       // per-head key elements without RoPE
  int64_t qk_rope = 0;       // per-head RoPE elements
  int64_t v_head_dim = 0;    // per-head value elements
};

// YaRN context extension, written as the real files carry it (factor 0: no rope.scaling keys).
struct YarnShape {
  double factor = 0.0;           // rope.scaling.factor (>= 1)
  int64_t original_context = 0;  // rope.scaling.original_context_length
  double log_multiplier = 0.0;   // rope.scaling.yarn_log_multiplier (deepseek2; 0: not written)
};

struct ModelShape {
  int64_t dim = 0;              // embedding length (n_embd)
  int64_t layers = 0;           // transformer blocks
  int64_t heads = 0;            // query heads
  int64_t kv_heads = 0;         // key/value heads
  int64_t ffn = 0;              // feed-forward hidden length
  int64_t context = 0;          // trained context length, tokens
  double rope_theta = 10000.0;  // RoPE frequency base
  double rms_epsilon = 1e-5;    // RMSNorm epsilon
  bool tied_embeddings = true;  // the output projection reuses token_embd.weight
  int64_t key_length = 0;       // head length when not dim / heads (qwen3, glm4moe); 0: dim/heads
  int64_t rope_dims = 0;        // rotated elements per head; 0: the whole head
  bool qk_norm = false;         // glm4moe: attn_q_norm / attn_k_norm (qwen3* always have them)
  MoeShape moe{};
  MlaShape mla{};
  YarnShape yarn{};

  int64_t head_dim() const { return key_length > 0 ? key_length : heads > 0 ? dim / heads : 0; }
  int64_t rope_dim() const {
    return mla.kv_lora_rank > 0 ? mla.qk_rope : rope_dims > 0 ? rope_dims : head_dim();
  }
};

struct NamedShape {
  std::string_view name;
  std::string_view description;
  Architecture arch;
  std::string_view vocab;  // the vocabulary it comes with (tokenizer::KnownVocabNames())
  ModelShape shape;
};

// tiny (tests; llama), tiny-<arch> for every other architecture, shapes of real models (llama,
// qwen2, qwen3, qwen3-30b-a3b, deepseek-v3, kimi-k2, glm-4.5: too large to run here, but
// `model info` describes them) and scaled-down "-mini" shapes with the real structure (expert
// count, experts per token, shared experts, MLA ranks, leading dense blocks) and smaller widths.
const std::vector<NamedShape>& NamedShapes();
// The shape `model create --arch A` uses when no shape is named: "tiny" for llama, else
// "tiny-A".
std::string_view DefaultShapeName(Architecture arch);
// Errors list the known names.
[[nodiscard]] StatusOr<NamedShape> FindNamedShape(std::string_view name);

struct ModelSpec {
  std::string name;  // general.name
  Architecture arch = Architecture::kLlama;
  ModelShape shape;
  WeightScheme weights = WeightScheme::kF16;
  uint64_t seed = 0;
  double init_std = 0.1;  // standard deviation of the random weights

  // qwen2 and glm4moe have Q/K/V biases.
  bool qkv_bias() const { return arch == Architecture::kQwen2 || arch == Architecture::kGlm4Moe; }
  // qwen3 and qwen3moe always norm Q and K heads; glm4moe when the shape says.
  bool qk_norm() const {
    return arch == Architecture::kQwen3 || arch == Architecture::kQwen3Moe ||
           (arch == Architecture::kGlm4Moe && shape.qk_norm);
  }

  // Checks that the shape makes a model llama.cpp can run: every size positive and within
  // bounds, heads divide dim (unless key_length is set), kv_heads divide heads, an even head_dim
  // (RoPE rotates pairs), rope_theta, rms_epsilon and init_std positive and finite, the weight
  // scheme available; for the MoE architectures a consistent MoeShape, for deepseek2 an MlaShape.
  // Errors name the offending field and its value.
  [[nodiscard]] Status Validate() const;
};

}  // namespace tokenfab::model
