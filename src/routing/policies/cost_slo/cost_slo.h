// cost-slo: the lowest energy cost per token among the upstreams whose predicted TTFT (RTT +
// queue delay + prefill time, see estimates.h) meets the tenant's SLO.
//
// Adds the soft "slo" filter, so upstreams predicted to miss the SLO rank behind every one that
// meets it whatever the other scorers say. Among those that meet it, the score is the cheapest
// cost over this upstream's cost for the request (1 for the cheapest; energy at the site's price
// this hour, with the prompt blocks the upstream reports cached not paid again). Among those that
// miss it (all of them, when none meets it) the score is the lowest predicted TTFT over this
// upstream's: the fallback is the upstream that misses by least.
#pragma once

#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kCostSlo = "cost-slo";

// Stateless; thread-safe.
class CostSloScorer final : public Scorer {
 public:
  explicit CostSloScorer(const SloOptions& options) : options_(options) {}

  std::string_view name() const override { return kCostSlo; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;

 private:
  const SloOptions options_;
};

[[nodiscard]] Status RegisterCostSlo(PolicyRegistry& registry);

}  // namespace tokenfab::routing
