#include "green_first.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "routing/slo_tiers.h"

namespace tokenfab::routing {
namespace {

constexpr double kShareWeight = 0.9;
constexpr double kCarbonWeight = 0.1;

double GreenShare(const fleet::FleetSnapshot& snapshot, uint32_t upstream) {
  const fleet::FleetConfig& config = snapshot.config();
  return config.SiteOf(config.upstreams()[upstream]).energy.green_share;
}

}  // namespace

void GreenFirstScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                             std::span<double> scores) {
  const fleet::FleetSnapshot& snapshot = context.snapshot();
  const std::vector<bool> meets = internal::ScoreSloMisses(context, candidates, options_, scores);
  double max_share = 0;
  double min_carbon = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!meets[i]) continue;
    max_share = std::max(max_share, GreenShare(snapshot, candidates[i].index));
    min_carbon = std::min(min_carbon, context.Estimate(candidates[i].index).carbon_g);
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (!meets[i]) continue;
    const double share =
        max_share > 0 ? GreenShare(snapshot, candidates[i].index) / max_share : 1.0;
    const double carbon = context.Estimate(candidates[i].index).carbon_g;
    scores[i] = kShareWeight * share + kCarbonWeight * (carbon > 0 ? min_carbon / carbon : 1.0);
  }
}

std::string GreenFirstScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                      uint32_t upstream) const {
  return fmt::format(
      "green {:.0f} %, {:.3g} g CO2, {}", 100 * GreenShare(context.snapshot(), upstream),
      context.Estimate(upstream).carbon_g, internal::ExplainTtft(context, upstream, options_));
}

Status RegisterGreenFirst(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kGreenFirst), "greenest supply among upstreams meeting the TTFT SLO",
      [](const PluginContext& context) {
        return internal::SloPlugin(kGreenFirst, context.options.slo, [](const SloOptions& options) {
          return std::make_unique<GreenFirstScorer>(options);
        });
      });
}

}  // namespace tokenfab::routing
