// kv-aware: prefers the upstream that reports the longest cached prefix of the prompt. Uses the
// prefix blocks a tokenfab node reports as cached (UpstreamState::cached_blocks), matched against
// the prompt's chained block hashes: ground truth from the node, as fresh as the last poll.
// Shares prefix-affinity's match threshold and imbalance gate (AffinityOptions): without them a
// system prompt every request shares would pull all traffic to the first upstream that cached it.
#pragma once

#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kKvAware = "kv-aware";

// Score = cached leading blocks / prompt blocks when the best share reaches the threshold, else
// 0 (also without hashes or reports); the least-load score under imbalance. Stateless;
// thread-safe.
class KvAwareScorer final : public Scorer {
 public:
  explicit KvAwareScorer(const KvAwareOptions& options) : options_(options) {}

  std::string_view name() const override { return kKvAware; }
  // Matches token-block hashes with the blocks upstreams report cached.
  PolicyInputs inputs() const override { return {.block_hashes = true, .prefix_hashes = true}; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;

 private:
  const KvAwareOptions options_;
};

[[nodiscard]] Status RegisterKvAware(PolicyRegistry& registry);

}  // namespace tokenfab::routing
