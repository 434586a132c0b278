#include "least_load.h"

#include <fmt/format.h>

#include "routing/load.h"

namespace tokenfab::routing {

void LeastLoadScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                            std::span<double> scores) {
  internal::ScoreByLoad(context.snapshot(), candidates, scores);
}

std::string LeastLoadScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                     uint32_t upstream) const {
  const fleet::UpstreamState& state = context.snapshot().state(upstream);
  return fmt::format("{} running, {} waiting", state.running, state.waiting);
}

Status RegisterLeastLoad(PolicyRegistry& registry) {
  return registry.Register(std::string(kLeastLoad), "fewest requests per unit of weight",
                           [](const PluginContext&) -> StatusOr<PolicyPlugin> {
                             return PolicyPlugin{.scorer = std::make_unique<LeastLoadScorer>(),
                                                 .filters = {}};
                           });
}

}  // namespace tokenfab::routing
