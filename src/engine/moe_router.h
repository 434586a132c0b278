// RouteTokens: the expert choice of a mixture-of-experts block for a batch of tokens, from the
// router's logits, as llama.cpp's build_moe_ffn makes it (see model::MoeConfig): probabilities
// by softmax or sigmoid, selection by probability plus the optional selection bias, group-limited
// when the config has expert groups, top n_expert_used (ties to the lower expert index), weights
// from the unbiased probabilities, normalised and scaled as configured.
//
// Pure function of its inputs, per token: a token's choice does not depend on the batch around
// it. Thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/model/moe_config.h"

namespace tokenfab::engine {

struct ExpertChoice {
  int32_t expert = 0;
  float weight = 0;
};

// logits: [n_tokens, n_expert] (row stride n_expert); bias: [n_expert] or null. `out` receives
// n_tokens * n_expert_used choices, token by token, best selection score first.
void RouteTokens(const model::MoeConfig& config, const float* logits, const float* bias,
                 int64_t n_tokens, std::vector<ExpertChoice>& out);

}  // namespace tokenfab::engine
