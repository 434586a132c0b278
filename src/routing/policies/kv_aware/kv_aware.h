// kv-aware: prefers the upstream that reports the longest cached prefix of the prompt. Uses the
// prefix blocks a tokenfab node reports as cached (UpstreamState::cached_blocks), matched against
// the prompt's chained block hashes: ground truth from the node, as fresh as the last poll.
#pragma once

#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kKvAware = "kv-aware";

// Score = cached leading blocks / prompt blocks (0 without hashes or reports). Stateless;
// thread-safe.
class KvAwareScorer final : public Scorer {
 public:
  std::string_view name() const override { return kKvAware; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;
};

[[nodiscard]] Status RegisterKvAware(PolicyRegistry& registry);

}  // namespace tokenfab::routing
