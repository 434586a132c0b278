#include "cost_slo.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "routing/filters/slo_filter.h"

namespace tokenfab::routing {
namespace {

// best / value for "lower is better" figures, so the best scores 1; a zero value scores 1.
double Ratio(double best, double value) { return value > 0 ? best / value : 1.0; }

}  // namespace

void CostSloScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                          std::span<double> scores) {
  const size_t n = candidates.size();
  std::vector<const UpstreamEstimate*> estimates(n);
  std::vector<bool> meets(n);
  constexpr double kInf = std::numeric_limits<double>::infinity();
  double cheapest = kInf;      // among those meeting the SLO
  double fastest_miss = kInf;  // lowest TTFT among those missing it
  for (size_t i = 0; i < n; ++i) {
    estimates[i] = &context.Estimate(candidates[i].index);
    meets[i] = MeetsSlo(*estimates[i], context.request().slo, options_.slo_headroom);
    if (meets[i]) {
      cheapest = std::min(cheapest, estimates[i]->cost);
    } else {
      fastest_miss = std::min(fastest_miss, estimates[i]->ttft_ms);
    }
  }
  for (size_t i = 0; i < n; ++i) {
    scores[i] =
        meets[i] ? Ratio(cheapest, estimates[i]->cost) : Ratio(fastest_miss, estimates[i]->ttft_ms);
  }
}

std::string CostSloScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                   uint32_t upstream) const {
  const RoutingRequest& request = context.request();
  const UpstreamEstimate& e = context.Estimate(upstream);
  const double tokens =
      std::max(request.prompt_tokens, 0) + std::max(request.expected_output_tokens, 1);
  std::string slo;
  if (request.slo.ttft_ms > 0) {
    slo = fmt::format(" {} {:.0f}", MeetsSlo(e, request.slo, options_.slo_headroom) ? "<=" : ">",
                      options_.slo_headroom * request.slo.ttft_ms);
  }
  return fmt::format("ttft {:.0f} ms{}, {:.4g} {}/Mtok", e.ttft_ms, slo, e.cost / tokens * 1e6,
                     context.snapshot().config().currency());
}

Status RegisterCostSlo(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kCostSlo), "cheapest energy per token among upstreams meeting the TTFT SLO",
      [](const PluginContext& context) -> StatusOr<PolicyPlugin> {
        const CostSloOptions& options = context.options.cost_slo;
        if (!(options.slo_headroom > 0)) {
          return absl::InvalidArgumentError(
              fmt::format("cost-slo: slo_headroom must be > 0, got {}", options.slo_headroom));
        }
        PolicyPlugin plugin;
        plugin.scorer = std::make_unique<CostSloScorer>(options);
        plugin.filters.push_back(std::make_unique<SloFilter>(options));
        return plugin;
      });
}

}  // namespace tokenfab::routing
