// The tenant's tier caps max_tokens (ledger::Tier::max_tokens, output tokens per choice): a
// request asking for more is refused with a 400 naming the field it used, as OpenAI answers a
// max_tokens above a model's output limit; a request asking for none is given the cap, in the
// body sent upstream too, so no upstream generates past it and admission reserves exactly it.
//
// Pure function; thread-compatible.
#pragma once

#include "inference_request.h"
#include "tokenfab/base/status.h"
#include "tokenfab/ledger/tenant.h"

namespace tokenfab::gateway {

// Applies `tier`'s cap to `request` (nothing when the tier has none). InvalidArgument with the
// field as its param (api::InvalidParamError) when the request asks for more.
[[nodiscard]] Status ApplyTierMaxTokens(const ledger::Tier& tier, InferenceRequest& request);

}  // namespace tokenfab::gateway
