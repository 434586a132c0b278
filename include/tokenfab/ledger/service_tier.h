// ServiceTier: the processing tier a request is served and billed at, as OpenAI's `service_tier`
// names them, plus the Batch API's own billing tier.
//
//   default   the tenant's tier, at its priority (what "auto" and an absent field mean)
//   flex      spare capacity: lowest priority, may wait, cheaper
//   priority  the best priority the tenant is entitled to, dearer
//   batch     a Batch API line: served like flex, billed at the batch price
//
// Plain values; thread-compatible.
#pragma once

#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::ledger {

enum class ServiceTier { kDefault, kFlex, kPriority, kBatch };

std::string_view ServiceTierName(ServiceTier tier);  // "default", "flex", "priority", "batch"
// Accepts the four names. InvalidArgument otherwise.
[[nodiscard]] StatusOr<ServiceTier> ParseServiceTier(std::string_view name);

}  // namespace tokenfab::ledger
