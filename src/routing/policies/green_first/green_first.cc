#include "green_first.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

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
  const size_t n = candidates.size();
  std::vector<double> carbon(n);
  double max_share = 0;
  double min_carbon = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    max_share = std::max(max_share, GreenShare(snapshot, candidates[i].index));
    carbon[i] = context.Estimate(candidates[i].index).carbon_g;
    min_carbon = std::min(min_carbon, carbon[i]);
  }
  for (size_t i = 0; i < n; ++i) {
    const double share =
        max_share > 0 ? GreenShare(snapshot, candidates[i].index) / max_share : 1.0;
    const double low_carbon = carbon[i] > 0 ? min_carbon / carbon[i] : 1.0;
    scores[i] = kShareWeight * share + kCarbonWeight * low_carbon;
  }
}

std::string GreenFirstScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                      uint32_t upstream) const {
  return fmt::format("green {:.0f} %, {:.3g} g CO2", 100 * GreenShare(context.snapshot(), upstream),
                     context.Estimate(upstream).carbon_g);
}

Status RegisterGreenFirst(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kGreenFirst), "greenest supply first, then least carbon per request",
      [](const PluginContext&) -> StatusOr<PolicyPlugin> {
        return PolicyPlugin{.scorer = std::make_unique<GreenFirstScorer>(), .filters = {}};
      });
}

}  // namespace tokenfab::routing
