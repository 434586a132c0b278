#include "cost_slo.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "routing/slo_tiers.h"

namespace tokenfab::routing {

void CostSloScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                          std::span<double> scores) {
  const std::vector<bool> meets = internal::ScoreSloMisses(context, candidates, options_, scores);
  double cheapest = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (meets[i]) cheapest = std::min(cheapest, context.Estimate(candidates[i].index).cost);
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!meets[i]) continue;
    const double cost = context.Estimate(candidates[i].index).cost;
    scores[i] = cost > 0 ? cheapest / cost : 1.0;
  }
}

std::string CostSloScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                   uint32_t upstream) const {
  const RoutingRequest& request = context.request();
  const double tokens =
      std::max(request.prompt_tokens, 0) + std::max(request.expected_output_tokens, 1);
  return fmt::format("{}, {:.4g} {}/Mtok", internal::ExplainTtft(context, upstream, options_),
                     context.Estimate(upstream).cost / tokens * 1e6,
                     context.snapshot().config().currency());
}

Status RegisterCostSlo(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kCostSlo), "cheapest energy per token among upstreams meeting the TTFT SLO",
      [](const PluginContext& context) {
        return internal::SloPlugin(kCostSlo, context.options.slo, [](const SloOptions& options) {
          return std::make_unique<CostSloScorer>(options);
        });
      });
}

}  // namespace tokenfab::routing
