#include "tokenfab/fleet/upstream_state.h"

#include <algorithm>

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

BlockHashSet::BlockHashSet(std::vector<uint64_t> hashes) : hashes_(std::move(hashes)) {
  std::sort(hashes_.begin(), hashes_.end());
  hashes_.erase(std::unique(hashes_.begin(), hashes_.end()), hashes_.end());
}

bool BlockHashSet::Contains(uint64_t hash) const {
  return std::binary_search(hashes_.begin(), hashes_.end(), hash);
}

size_t BlockHashSet::LeadingMatch(std::span<const uint64_t> chain) const {
  size_t matched = 0;
  while (matched < chain.size() && Contains(chain[matched])) ++matched;
  return matched;
}

}  // namespace tokenfab::fleet
