#include "round_robin.h"

namespace tokenfab::routing {

void RoundRobinScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                             std::span<double> scores) {
  const size_t n = candidates.size();
  const size_t turn = next_.fetch_add(1, std::memory_order_relaxed) % n;
  for (size_t i = 0; i < n; ++i) {
    const size_t steps = (i + n - turn) % n;
    scores[i] = 1.0 - static_cast<double>(steps) / n;
  }
}

Status RegisterRoundRobin(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kRoundRobin), "rotate through the upstreams, one per request",
      [](const PluginContext&) -> StatusOr<PolicyPlugin> {
        return PolicyPlugin{.scorer = std::make_unique<RoundRobinScorer>(), .filters = {}};
      });
}

}  // namespace tokenfab::routing
