// MoeConfig: the mixture-of-experts hyper-parameters of a qwen3moe, deepseek2 or glm4moe model,
// read from the GGUF keys llama.cpp writes (<arch>.expert_count, expert_used_count,
// expert_shared_count, expert_feed_forward_length, leading_dense_block_count,
// expert_gating_func, expert_weights_norm, expert_weights_scale, expert_group_count,
// expert_group_used_count). A plain value; n_expert == 0 means a dense model.
//
// Routing of one token (llama.cpp's build_moe_ffn): logits = ffn_gate_inp x; probs = softmax or
// sigmoid(logits); the selection score is probs + exp_probs_b (when the layer has that bias);
// with expert groups, only the n_group_used groups whose two best selection scores sum highest
// stay eligible; the n_expert_used best selection scores pick the experts; their weights are the
// unbiased probs, divided by their sum when weights_norm, times weights_scale.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/model/gguf_file.h"

namespace tokenfab::model {

enum class ExpertGating {
  kSoftmax,  // expert_gating_func = 1
  kSigmoid,  // expert_gating_func = 2
};

struct MoeConfig {
  int64_t n_expert = 0;         // routed experts per MoE layer; 0: dense model
  int64_t n_expert_used = 0;    // experts each token is routed to
  int64_t n_expert_shared = 0;  // shared experts (one SwiGLU of n_expert_shared * n_ff_exp)
  int64_t n_ff_exp = 0;         // hidden length of one expert
  int64_t n_dense_lead = 0;     // leading blocks with a dense feed-forward (n_ff wide)
  ExpertGating gating = ExpertGating::kSoftmax;
  bool weights_norm = false;   // divide the chosen weights by their sum
  float weights_scale = 1.0f;  // routed scaling factor
  int64_t n_group = 1;         // expert groups (group-limited routing when > 1)
  int64_t n_group_used = 1;    // groups a token may use

  bool enabled() const { return n_expert > 0; }
  bool IsMoeLayer(int64_t layer) const { return enabled() && layer >= n_dense_lead; }
  int64_t shared_ff() const { return n_expert_shared * n_ff_exp; }

  // Reads the keys under `prefix` ("qwen3moe.") for architecture `arch_name`, with llama.cpp's
  // defaults: qwen3moe always normalises and gates by softmax; glm4moe gates by sigmoid unless
  // told; deepseek2 by softmax unless told. Errors name the key: "key deepseek2.expert_count
  // missing", "qwen3moe.expert_used_count = 9 exceeds qwen3moe.expert_count = 8".
  [[nodiscard]] static StatusOr<MoeConfig> FromGguf(const GgufFile& file,
                                                    std::string_view arch_name, int64_t n_layer,
                                                    int64_t n_ff);
};

}  // namespace tokenfab::model
