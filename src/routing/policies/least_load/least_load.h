// least-load: prefers the upstream with the fewest requests (running + waiting) per unit of its
// configured weight.
#pragma once

#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kLeastLoad = "least-load";

// Score (1 + min load) / (1 + load). Stateless; thread-safe.
class LeastLoadScorer final : public Scorer {
 public:
  std::string_view name() const override { return kLeastLoad; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;
};

[[nodiscard]] Status RegisterLeastLoad(PolicyRegistry& registry);

}  // namespace tokenfab::routing
