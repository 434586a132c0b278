#include "health_filter.h"

namespace tokenfab::routing {

void HealthFilter::Apply(RankContext& context, std::vector<Candidate>& candidates) const {
  size_t kept = 0;
  for (Candidate c : candidates) {
    const fleet::UpstreamState& state = context.snapshot().state(c.index);
    if (!state.healthy || state.circuit == fleet::CircuitState::kOpen) continue;
    if (state.circuit == fleet::CircuitState::kHalfOpen) c.fallback = true;
    candidates[kept++] = c;
  }
  candidates.resize(kept);
}

}  // namespace tokenfab::routing
