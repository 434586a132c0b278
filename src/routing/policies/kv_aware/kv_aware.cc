#include "kv_aware.h"

#include <vector>

#include <fmt/format.h>

#include "routing/affinity.h"
#include "routing/load.h"

namespace tokenfab::routing {
namespace {

uint32_t CachedBlocks(const RoutingRequest& request, const fleet::UpstreamState& state) {
  if (state.cached_blocks == nullptr) return 0;
  return static_cast<uint32_t>(state.cached_blocks->LeadingMatch(request.block_hashes));
}

}  // namespace

void KvAwareScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                          std::span<double> scores) {
  const fleet::FleetSnapshot& snapshot = context.snapshot();
  if (internal::CheckBalance(snapshot, candidates, options_.affinity).imbalanced) {
    internal::ScoreByLoad(snapshot, candidates, scores);
    return;
  }
  std::vector<uint32_t> matched(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    matched[i] = CachedBlocks(context.request(), snapshot.state(candidates[i].index));
  }
  internal::ScoreMatches(matched, context.request().block_hashes.size(), options_.affinity, scores);
}

std::string KvAwareScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                   uint32_t upstream) const {
  const fleet::FleetSnapshot& snapshot = context.snapshot();
  return internal::ExplainAffinity(internal::CheckBalance(snapshot, candidates, options_.affinity),
                                   CachedBlocks(context.request(), snapshot.state(upstream)),
                                   context.request().block_hashes.size(), "cached");
}

Status RegisterKvAware(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kKvAware), "longest prompt prefix the upstream reports cached",
      [](const PluginContext& context) -> StatusOr<PolicyPlugin> {
        const AffinityOptions& options = context.options.kv_aware.affinity;
        if (!(options.match_threshold >= 0) || options.match_threshold > 1) {
          return absl::InvalidArgumentError("kv-aware: match_threshold must be in [0, 1]");
        }
        return PolicyPlugin{.scorer = std::make_unique<KvAwareScorer>(context.options.kv_aware),
                            .filters = {}};
      });
}

}  // namespace tokenfab::routing
