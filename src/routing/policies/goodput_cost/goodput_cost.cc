#include "goodput_cost.h"

#include <algorithm>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "tokenfab/routing/latency_predictor.h"

namespace tokenfab::routing {
namespace {

constexpr double kCostWeight = 0.7;
constexpr double kCarbonWeight = 0.3;
constexpr double kSlackBand = 0.4;  // the top score of band 2, below band 1's floor of 0.5

enum class Band { kMargin, kMeets, kMisses };

Band BandOf(const LatencyPrediction& p, const SloTarget& slo, double headroom) {
  if (PredictedToMeet(p, slo, headroom)) return Band::kMargin;
  if (PredictedToMeet(p, slo, 1.0)) return Band::kMeets;
  return Band::kMisses;
}

// The smallest share of an SLO term left unused by the prediction, in [0, 1]: 1 with no SLO.
double Slack(const LatencyPrediction& p, const SloTarget& slo) {
  double slack = 1;
  if (slo.ttft_ms > 0) slack = std::min(slack, 1 - p.ttft_ms / slo.ttft_ms);
  if (slo.tpot_ms > 0 && p.tpot_ms > 0) slack = std::min(slack, 1 - p.tpot_ms / slo.tpot_ms);
  return std::clamp(slack, 0.0, 1.0);
}

double Ratio(double best, double value) { return value > 0 ? best / value : 1.0; }

}  // namespace

void PredictedSloFilter::Apply(RankContext& context, std::vector<Candidate>& candidates) const {
  const SloTarget& slo = context.request().slo;
  if (slo.ttft_ms <= 0 && slo.tpot_ms <= 0) return;
  for (Candidate& c : candidates) {
    if (!PredictedToMeet(context.Prediction(c.index), slo, 1.0)) c.fallback = true;
  }
}

void GoodputCostScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                              std::span<double> scores) {
  const SloTarget& slo = context.request().slo;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<Band> bands(candidates.size());
  double cheapest = kInf, cleanest = kInf, most_slack = 0, fastest = kInf;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const uint32_t up = candidates[i].index;
    const LatencyPrediction& p = context.Prediction(up);
    bands[i] = BandOf(p, slo, options_.slo_headroom);
    if (bands[i] == Band::kMargin) {
      cheapest = std::min(cheapest, context.Estimate(up).cost);
      cleanest = std::min(cleanest, context.Estimate(up).carbon_g);
    } else if (bands[i] == Band::kMeets) {
      most_slack = std::max(most_slack, Slack(p, slo));
    } else {
      fastest = std::min(fastest, p.ttft_ms);
    }
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    const uint32_t up = candidates[i].index;
    const LatencyPrediction& p = context.Prediction(up);
    switch (bands[i]) {
      case Band::kMargin:
        scores[i] = 0.5 + 0.5 * (kCostWeight * Ratio(cheapest, context.Estimate(up).cost) +
                                 kCarbonWeight * Ratio(cleanest, context.Estimate(up).carbon_g));
        break;
      case Band::kMeets:
        scores[i] = most_slack > 0 ? kSlackBand * Slack(p, slo) / most_slack : kSlackBand;
        break;
      case Band::kMisses:
        scores[i] = Ratio(fastest, p.ttft_ms);
        break;
    }
  }
}

std::string GoodputCostScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                       uint32_t upstream) const {
  const RoutingRequest& request = context.request();
  const LatencyPrediction& p = context.Prediction(upstream);
  const double tokens =
      std::max(request.prompt_tokens, 0) + std::max(request.expected_output_tokens, 1);
  return fmt::format(
      "predicted ttft {:.0f} ms (slo {:.0f}), tpot {:.1f} ms (slo {:.0f}), {:.4g} "
      "{}/Mtok",
      p.ttft_ms, request.slo.ttft_ms, p.tpot_ms, request.slo.tpot_ms,
      context.Estimate(upstream).cost / tokens * 1e6, context.snapshot().config().currency());
}

Status RegisterGoodputCost(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kGoodputCost),
      "goodput first: upstreams predicted to meet the TTFT and TPOT SLOs with margin, the "
      "cheapest and cleanest of them",
      [](const PluginContext& context) -> StatusOr<PolicyPlugin> {
        const SloOptions& options = context.options.slo;
        if (!(options.slo_headroom > 0) || options.slo_headroom > 1) {
          return absl::InvalidArgumentError(fmt::format(
              "{}: slo_headroom must be in (0, 1], got {}", kGoodputCost, options.slo_headroom));
        }
        PolicyPlugin plugin;
        plugin.scorer = std::make_unique<GoodputCostScorer>(options);
        plugin.filters.push_back(std::make_unique<PredictedSloFilter>());
        return plugin;
      });
}

}  // namespace tokenfab::routing
