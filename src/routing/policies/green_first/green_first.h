// green-first: prefers the sites with the greenest supply. The green share decides; the carbon a
// request would emit (its energy at the site's carbon intensity) breaks near-ties.
#pragma once

#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kGreenFirst = "green-first";

// Score = 0.9 * green share / highest green share + 0.1 * least carbon / this carbon (a share of 0
// everywhere counts as equal). Stateless; thread-safe.
class GreenFirstScorer final : public Scorer {
 public:
  std::string_view name() const override { return kGreenFirst; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;
};

[[nodiscard]] Status RegisterGreenFirst(PolicyRegistry& registry);

}  // namespace tokenfab::routing
