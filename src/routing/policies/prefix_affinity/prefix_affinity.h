// prefix-affinity: sends a prompt where its prefix was sent before, so the upstream's prefix cache
// can serve it, after SGLang's cache-aware router: an approximate prefix index per upstream
// (PrefixIndex) learned from the gateway's own routing, a match threshold, and an imbalance gate
// that hands over to shortest-queue routing when loads drift apart.
//
// Score: the share of the prompt's blocks last sent to the upstream, when the best share reaches
// AffinityOptions::match_threshold; 0 everywhere otherwise (a new prefix is left to the
// other scorers, or to the load tie-break). Under imbalance: the least-load score.
// The prompt is keyed by RoutingRequest::block_hashes, else by text_chunk_hashes.
#pragma once

#include <span>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "routing/policies/prefix_affinity/prefix_index.h"
#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kPrefixAffinity = "prefix-affinity";

// Thread-safe: Score and Explain read the index under a shared lock, OnRouted writes it under an
// exclusive one.
class PrefixAffinityScorer final : public Scorer {
 public:
  explicit PrefixAffinityScorer(const PrefixAffinityOptions& options);

  std::string_view name() const override { return kPrefixAffinity; }
  // Keys its index on block hashes when the request has them, else on text chunk hashes.
  PolicyInputs inputs() const override { return {.prefix_hashes = true}; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;
  std::string Explain(RankContext& context, std::span<const Candidate> candidates,
                      uint32_t upstream) const override;
  // Indexes the prompt's prefix under `upstream`.
  void OnRouted(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot,
                uint32_t upstream) override;

  // (block, upstream) entries in the index.
  size_t IndexEntries() const;

 private:
  // Leading blocks of `chain` sent to each candidate.
  void MatchedBlocks(std::span<const uint64_t> chain, const fleet::FleetSnapshot& snapshot,
                     std::span<const Candidate> candidates, std::span<uint32_t> blocks) const;

  const PrefixAffinityOptions options_;
  mutable absl::Mutex mu_;
  PrefixIndex index_ ABSL_GUARDED_BY(mu_);
};

[[nodiscard]] Status RegisterPrefixAffinity(PolicyRegistry& registry);

}  // namespace tokenfab::routing
