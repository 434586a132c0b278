#include "load.h"

#include <algorithm>
#include <limits>

namespace tokenfab::routing::internal {

double WeightedLoad(const fleet::FleetSnapshot& snapshot, uint32_t upstream) {
  return snapshot.state(upstream).outstanding() / snapshot.config().upstreams()[upstream].weight;
}

void ScoreByLoad(const fleet::FleetSnapshot& snapshot, std::span<const Candidate> candidates,
                 std::span<double> scores) {
  double min_load = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < candidates.size(); ++i) {
    scores[i] = WeightedLoad(snapshot, candidates[i].index);
    min_load = std::min(min_load, scores[i]);
  }
  for (double& score : scores) score = (1 + min_load) / (1 + score);
}

}  // namespace tokenfab::routing::internal
