#include "prefix_affinity.h"

#include <algorithm>
#include <limits>
#include <vector>

#include <fmt/format.h>

#include "routing/affinity.h"
#include "routing/load.h"

namespace tokenfab::routing {
namespace {

std::span<const uint64_t> Chain(const RoutingRequest& request) {
  return request.block_hashes.empty() ? request.text_chunk_hashes : request.block_hashes;
}

}  // namespace

PrefixAffinityScorer::PrefixAffinityScorer(const PrefixAffinityOptions& options)
    : options_(options), index_(options.max_entries) {}

void PrefixAffinityScorer::MatchedBlocks(std::span<const uint64_t> chain,
                                         const fleet::FleetSnapshot& snapshot,
                                         std::span<const Candidate> candidates,
                                         std::span<uint32_t> blocks) const {
  std::vector<PrefixIndex::Match> matches;
  {
    absl::ReaderMutexLock lock(&mu_);
    index_.MatchPrefix(chain, matches);
  }
  const auto upstreams = snapshot.config().upstreams();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const uint64_t key = upstreams[candidates[i].index].key;
    auto m = std::lower_bound(
        matches.begin(), matches.end(), key,
        [](const PrefixIndex::Match& match, uint64_t k) { return match.upstream < k; });
    blocks[i] = m != matches.end() && m->upstream == key ? m->blocks : 0;
  }
}

void PrefixAffinityScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                                 std::span<double> scores) {
  const fleet::FleetSnapshot& snapshot = context.snapshot();
  if (internal::CheckBalance(snapshot, candidates, options_.affinity).imbalanced) {
    internal::ScoreByLoad(snapshot, candidates, scores);
    return;
  }
  const std::span<const uint64_t> chain = Chain(context.request());
  std::vector<uint32_t> matched(candidates.size());
  if (!chain.empty()) MatchedBlocks(chain, snapshot, candidates, matched);
  internal::ScoreMatches(matched, chain.size(), options_.affinity, scores);
}

std::string PrefixAffinityScorer::Explain(RankContext& context,
                                          std::span<const Candidate> candidates,
                                          uint32_t upstream) const {
  const fleet::FleetSnapshot& snapshot = context.snapshot();
  const std::span<const uint64_t> chain = Chain(context.request());
  const Candidate self{upstream, false};
  uint32_t matched = 0;
  if (!chain.empty()) MatchedBlocks(chain, snapshot, std::span(&self, 1), std::span(&matched, 1));
  return internal::ExplainAffinity(internal::CheckBalance(snapshot, candidates, options_.affinity),
                                   matched, chain.size(), "seen");
}

void PrefixAffinityScorer::OnRouted(const RoutingRequest& request,
                                    const fleet::FleetSnapshot& snapshot, uint32_t upstream) {
  const std::span<const uint64_t> chain = Chain(request);
  if (chain.empty()) return;
  const uint64_t key = snapshot.config().upstreams()[upstream].key;
  absl::MutexLock lock(&mu_);
  index_.Insert(chain, key);
}

size_t PrefixAffinityScorer::IndexEntries() const {
  absl::ReaderMutexLock lock(&mu_);
  return index_.entries();
}

Status RegisterPrefixAffinity(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kPrefixAffinity),
      "where the prompt's prefix was sent before (SGLang-style), by load when imbalanced",
      [](const PluginContext& context) -> StatusOr<PolicyPlugin> {
        const PrefixAffinityOptions& options = context.options.prefix_affinity;
        if (options.max_entries < 1 || !(options.affinity.match_threshold >= 0) ||
            options.affinity.match_threshold > 1) {
          return absl::InvalidArgumentError(
              "prefix-affinity: max_entries must be >= 1 and match_threshold in [0, 1]");
        }
        return PolicyPlugin{.scorer = std::make_unique<PrefixAffinityScorer>(options),
                            .filters = {}};
      });
}

}  // namespace tokenfab::routing
