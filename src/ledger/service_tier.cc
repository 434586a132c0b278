#include "tokenfab/ledger/service_tier.h"

#include <fmt/format.h>

namespace tokenfab::ledger {

std::string_view ServiceTierName(ServiceTier tier) {
  switch (tier) {
    case ServiceTier::kDefault:
      return "default";
    case ServiceTier::kFlex:
      return "flex";
    case ServiceTier::kPriority:
      return "priority";
    case ServiceTier::kBatch:
      return "batch";
  }
  return "default";
}

StatusOr<ServiceTier> ParseServiceTier(std::string_view name) {
  for (ServiceTier tier :
       {ServiceTier::kDefault, ServiceTier::kFlex, ServiceTier::kPriority, ServiceTier::kBatch}) {
    if (name == ServiceTierName(tier)) return tier;
  }
  return absl::InvalidArgumentError(
      fmt::format("unknown service tier '{}' (default, flex, priority or batch)", name));
}

}  // namespace tokenfab::ledger
