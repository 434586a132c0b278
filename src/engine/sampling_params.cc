#include "tokenfab/engine/sampling_params.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tokenfab::engine {
namespace {

Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(fmt::format("sampling parameter {} {}", field, why));
}

}  // namespace

Status SamplingParams::Validate() const {
  if (!std::isfinite(temperature) || temperature < 0) {
    return Invalid("temperature", "must be a finite number >= 0");
  }
  if (top_k < 0) return Invalid("top_k", "must be >= 0 (0 disables it)");
  if (!(top_p > 0 && top_p <= 1)) return Invalid("top_p", "must be in (0, 1]");
  if (!(min_p >= 0 && min_p <= 1)) return Invalid("min_p", "must be in [0, 1]");
  if (!std::isfinite(repetition_penalty) || repetition_penalty <= 0) {
    return Invalid("repetition_penalty", "must be a finite number > 0");
  }
  if (repetition_last_n < -1) return Invalid("repetition_last_n", "must be >= -1");
  if (!(presence_penalty >= -2 && presence_penalty <= 2)) {
    return Invalid("presence_penalty", "must be in [-2, 2]");
  }
  if (!(frequency_penalty >= -2 && frequency_penalty <= 2)) {
    return Invalid("frequency_penalty", "must be in [-2, 2]");
  }
  if (top_logprobs < 0 || top_logprobs > kMaxTopLogprobs) {
    return Invalid("top_logprobs", fmt::format("must be in [0, {}]", kMaxTopLogprobs));
  }
  if (top_logprobs > 0 && !logprobs) return Invalid("top_logprobs", "needs logprobs enabled");
  if (max_tokens < 1) return Invalid("max_tokens", "must be >= 1");
  for (Token t : stop_token_ids) {
    if (t < 0) return Invalid("stop_token_ids", fmt::format("holds a negative id {}", t));
  }
  for (const std::string& s : stop_strings) {
    if (s.empty()) return Invalid("stop", "holds an empty string");
  }
  return absl::OkStatus();
}

bool SamplingParams::IsStopToken(Token token) const {
  return std::find(stop_token_ids.begin(), stop_token_ids.end(), token) != stop_token_ids.end();
}

bool SamplingParams::IsGreedy() const { return temperature < 1e-5f; }

}  // namespace tokenfab::engine
