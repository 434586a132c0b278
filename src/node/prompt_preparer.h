// PreparePrompts: the token ids the engine computes for a parsed request: chat messages through
// the model's chat template (EncodeChat), completion prompts encoded as llama.cpp and vLLM do
// (BOS as the vocabulary says, special-token texts recognised) or taken as given token ids
// (checked against the vocabulary); and, for `echo`, the prompt's text.
// Errors are 400s naming the field (api_error.h), including a prompt that does not fit the
// context. Pure function of its arguments; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/api/completion_request.h"
#include "tokenfab/base/status.h"
#include "tokenfab/node/model_host.h"

namespace tokenfab::node {

struct PreparedPrompt {
  std::vector<int32_t> tokens;  // non-empty
  std::string echo_text;        // the prompt's text, when the request asks for echo
};

// One entry per prompt (chat: one). `max_model_len`: tokens a sequence may hold; a prompt must
// leave room for one generated token.
[[nodiscard]] StatusOr<std::vector<PreparedPrompt>> PreparePrompts(
    const api::CompletionRequest& request, const ModelHost& host, int64_t max_model_len);

}  // namespace tokenfab::node
