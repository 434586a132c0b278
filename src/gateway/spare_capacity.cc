#include "spare_capacity.h"

#include <algorithm>

namespace tokenfab::gateway {

int32_t FreeSlots(const fleet::UpstreamState& state, int32_t max_running) {
  if (!state.healthy || state.circuit != fleet::CircuitState::kClosed) return 0;
  if (state.waiting > 0) return 0;
  const int32_t slots = max_running > 0 ? max_running : kDefaultSlots;
  return std::max(0, slots - state.outstanding());
}

TierDecision DecideServiceTier(std::string_view requested, const ledger::Tier& tier) {
  TierDecision d;
  if (requested == "flex") {
    d.served = d.billed = ledger::ServiceTier::kFlex;
    d.priority = kFlexPriority;
  } else if (requested == "priority") {
    d.served = d.billed = ledger::ServiceTier::kPriority;
    d.priority = tier.priority + 1;
  } else {
    d.served = d.billed = ledger::ServiceTier::kDefault;
    d.priority = tier.priority;
  }
  return d;
}

}  // namespace tokenfab::gateway
