// SamplingParams: how one sequence chooses its next tokens and when it stops. A plain value,
// copied into each request; Validate() turns bad client input into an InvalidArgument error.
//
// Defaults are neutral (the OpenAI API's): plain sampling from the model's distribution at
// temperature 1, no truncation, no penalties. Front ends (the CLI's `generate`, the HTTP API) set
// their own defaults on top.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::engine {

// A token id of the model's vocabulary.
using Token = int32_t;
inline constexpr Token kNoToken = -1;

// The most alternatives a request may ask for (OpenAI's `top_logprobs` limit).
inline constexpr int32_t kMaxTopLogprobs = 20;

struct SamplingParams {
  // 0 (or below 1e-5): greedy, the highest-scoring token after penalties (lowest id on a tie).
  float temperature = 1.0f;
  // Keep the k highest-scoring tokens; 0 keeps all.
  int32_t top_k = 0;
  // Keep the smallest set of highest-probability tokens whose mass reaches top_p; 1 keeps all.
  float top_p = 1.0f;
  // Keep tokens whose probability is at least min_p times the top token's; 0 keeps all.
  float min_p = 0.0f;

  // Multiplicative penalty (llama.cpp / Hugging Face / vLLM): a token seen in the last
  // `repetition_last_n` tokens (prompt and generated) has its logit divided by the penalty when
  // positive, multiplied when negative. 1 disables.
  float repetition_penalty = 1.0f;
  // Window of the repetition penalty in tokens; -1 = the whole sequence, 0 disables.
  int32_t repetition_last_n = 64;
  // Additive penalties over the generated tokens (OpenAI): logit -= presence_penalty if the
  // token occurred, and -= frequency_penalty * its count. Range [-2, 2]; 0 disables.
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;

  // Makes sampling reproducible; without one the engine draws a seed from its own generator.
  std::optional<uint64_t> seed;

  // Report the chosen token's log-probability, and the `top_logprobs` most likely alternatives
  // (0..kMaxTopLogprobs). See sampler.h for which distribution they come from.
  bool logprobs = false;
  int32_t top_logprobs = 0;

  // Stop when one of these tokens is sampled (the engine adds the model's end-of-generation
  // tokens unless the client asked to ignore them). The stop token counts as generated but its
  // text is never emitted.
  std::vector<Token> stop_token_ids;
  // Stop when the generated text contains one of these; the stop string is never emitted (see
  // stop_matcher.h). Each non-empty.
  std::vector<std::string> stop_strings;
  // Generate at most this many tokens (>= 1); the context length may cut it shorter.
  int32_t max_tokens = 256;

  // InvalidArgument with a message naming the field when a value is out of range.
  [[nodiscard]] Status Validate() const;
  // True when the token is one of stop_token_ids.
  bool IsStopToken(Token token) const;
  // True when the request samples greedily (temperature at or near 0).
  bool IsGreedy() const;
};

}  // namespace tokenfab::engine
