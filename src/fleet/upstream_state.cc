#include "tokenfab/fleet/upstream_state.h"

namespace tokenfab::fleet {

std::string_view CircuitStateName(CircuitState state) {
  switch (state) {
    case CircuitState::kClosed:
      return "closed";
    case CircuitState::kHalfOpen:
      return "half-open";
    case CircuitState::kOpen:
      return "open";
  }
  return "unknown";
}

BlockHashSet::BlockHashSet(std::vector<uint64_t> hashes) : hashes_(hashes.begin(), hashes.end()) {}

bool BlockHashSet::Contains(uint64_t hash) const { return hashes_.contains(hash); }

size_t BlockHashSet::LeadingMatch(std::span<const uint64_t> chain) const {
  size_t matched = 0;
  while (matched < chain.size() && Contains(chain[matched])) ++matched;
  return matched;
}

}  // namespace tokenfab::fleet
