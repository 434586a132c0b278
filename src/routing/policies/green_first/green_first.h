// green-first: the greenest supply among the upstreams whose predicted TTFT meets the tenant's
// SLO. Like cost-slo it adds the soft "slo" filter, so an upstream predicted to miss the SLO ranks
// behind every one that meets it, and those that miss are ranked by predicted TTFT. Among those
// that meet it the green share decides and the carbon the request would emit (its energy at the
// site's carbon intensity) breaks near-ties.
#pragma once

#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kGreenFirst = "green-first";

// Score of an upstream meeting the SLO = 0.9 * green share / highest green share among them + 0.1
// * least carbon among them / this carbon (a share of 0 everywhere counts as equal). Stateless;
// thread-safe.
class GreenFirstScorer final : public Scorer {
 public:
  explicit GreenFirstScorer(const SloOptions& options) : options_(options) {}

  std::string_view name() const override { return kGreenFirst; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;

 private:
  const SloOptions options_;
};

[[nodiscard]] Status RegisterGreenFirst(PolicyRegistry& registry);

}  // namespace tokenfab::routing
