// goodput-cost: goodput first, then cost. Every candidate's TTFT and TPOT are predicted
// (latency_predictor.h: the network path, the upstream's queue in tokens and its step-time model)
// and the request goes to
//   1. an upstream predicted to meet both SLOs with margin (predicted <= slo_headroom x SLO):
//      the cheapest and cleanest of them (energy cost at the site's price this hour with PUE,
//      and carbon, both for this request with its cached prefix not paid again);
//   2. else one predicted to meet them without the margin: the one with the most slack;
//   3. else (all predicted to miss) the one that misses by least.
// Adds the soft "predicted-slo" filter: an upstream predicted to miss (predicted > SLO) ranks
// behind every one predicted to meet, whatever other terms of a composed policy say, so a
// request is never sent to miss when another upstream is predicted to meet.
//
// Scores: band 1 in [0.5, 1] (0.5 + 0.5 x (0.7 cost ratio + 0.3 carbon ratio), ratios to the
// band's best), band 2 in [0, 0.4] by slack, band 3 (fallback) by least predicted TTFT over
// theirs. Reads the prompt's block hashes (the upstreams' reported cached blocks shorten the
// predicted prefill).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/routing/filter.h"
#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kGoodputCost = "goodput-cost";

// The soft filter: fallback for every upstream predicted to miss the SLO (headroom 1).
// Stateless; thread-safe.
class PredictedSloFilter final : public Filter {
 public:
  std::string_view name() const override { return "predicted-slo"; }
  void Apply(RankContext& context, std::vector<Candidate>& candidates) const override;
};

// Stateless; thread-safe.
class GoodputCostScorer final : public Scorer {
 public:
  explicit GoodputCostScorer(const SloOptions& options) : options_(options) {}

  std::string_view name() const override { return kGoodputCost; }
  PolicyInputs inputs() const override { return {.block_hashes = true, .prefix_hashes = true}; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;

 private:
  const SloOptions options_;
};

[[nodiscard]] Status RegisterGoodputCost(PolicyRegistry& registry);

}  // namespace tokenfab::routing
