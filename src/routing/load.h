// Load arithmetic shared by the load-aware scorers (least-load, power-of-two, the
// prefix-affinity imbalance gate) and the ranking tie-break.
#pragma once

#include <cstdint>
#include <span>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/decision.h"

namespace tokenfab::routing::internal {

// Requests at `upstream` (running + waiting) per unit of its configured weight.
double WeightedLoad(const fleet::FleetSnapshot& snapshot, uint32_t upstream);

// scores[i] = (1 + min load) / (1 + load of candidates[i]): 1 for the least loaded, falling
// toward 0 as an upstream's load grows past it. Scale-free, so it composes with other scorers.
void ScoreByLoad(const fleet::FleetSnapshot& snapshot, std::span<const Candidate> candidates,
                 std::span<double> scores);

}  // namespace tokenfab::routing::internal
