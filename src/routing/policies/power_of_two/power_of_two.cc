#include "power_of_two.h"

#include <algorithm>

#include "routing/load.h"

namespace tokenfab::routing {

void PowerOfTwoScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                             std::span<double> scores) {
  const fleet::FleetSnapshot& snapshot = context.snapshot();
  std::fill(scores.begin(), scores.end(), 0.0);
  const size_t n = candidates.size();
  if (n == 1) {
    scores[0] = 1;
    return;
  }
  size_t a;
  size_t b;
  {
    absl::MutexLock lock(&mu_);
    a = random_.Below(n);
    b = random_.Below(n - 1);
  }
  if (b >= a) ++b;  // two distinct draws
  const bool b_wins = internal::WeightedLoad(snapshot, candidates[b].index) <
                      internal::WeightedLoad(snapshot, candidates[a].index);
  scores[b_wins ? b : a] = 1;
  scores[b_wins ? a : b] = 0.5;
}

Status RegisterPowerOfTwo(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kPowerOfTwo), "the less loaded of two upstreams drawn at random",
      [](const PluginContext& context) -> StatusOr<PolicyPlugin> {
        return PolicyPlugin{.scorer = std::make_unique<PowerOfTwoScorer>(context.random.Fork()),
                            .filters = {}};
      });
}

}  // namespace tokenfab::routing
