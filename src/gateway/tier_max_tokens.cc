#include "tier_max_tokens.h"

#include <fmt/format.h>

#include "tokenfab/api/api_error.h"

namespace tokenfab::gateway {

Status ApplyTierMaxTokens(const ledger::Tier& tier, InferenceRequest& request) {
  if (!tier.max_tokens || *tier.max_tokens <= 0) return absl::OkStatus();
  const int64_t cap = *tier.max_tokens;
  if (request.max_tokens > cap) {
    const std::string& field = request.max_tokens_field;
    return api::InvalidParamError(
        field, fmt::format("'{}' is {}, but the '{}' tier allows at most {} output tokens per "
                           "choice; lower '{}'",
                           field, request.max_tokens, tier.name, cap, field));
  }
  if (request.max_tokens <= 0) {
    request.max_tokens = cap;
    request.max_tokens_field = "max_tokens";
    request.body["max_tokens"] = cap;
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::gateway
