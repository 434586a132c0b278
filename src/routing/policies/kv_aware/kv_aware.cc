#include "kv_aware.h"

#include <fmt/format.h>

namespace tokenfab::routing {
namespace {

size_t CachedBlocks(const RoutingRequest& request, const fleet::UpstreamState& state) {
  if (state.cached_blocks == nullptr) return 0;
  return state.cached_blocks->LeadingMatch(request.block_hashes);
}

}  // namespace

void KvAwareScorer::Score(RankContext& context, std::span<const Candidate> candidates,
                          std::span<double> scores) {
  const RoutingRequest& request = context.request();
  const size_t blocks = request.block_hashes.size();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const size_t cached = CachedBlocks(request, context.snapshot().state(candidates[i].index));
    scores[i] = blocks == 0 ? 0.0 : static_cast<double>(cached) / blocks;
  }
}

std::string KvAwareScorer::Explain(RankContext& context, std::span<const Candidate> candidates,
                                   uint32_t upstream) const {
  const RoutingRequest& request = context.request();
  return fmt::format("{}/{} blocks cached",
                     CachedBlocks(request, context.snapshot().state(upstream)),
                     request.block_hashes.size());
}

Status RegisterKvAware(PolicyRegistry& registry) {
  return registry.Register(
      std::string(kKvAware), "longest prompt prefix the upstream reports cached",
      [](const PluginContext&) -> StatusOr<PolicyPlugin> {
        return PolicyPlugin{.scorer = std::make_unique<KvAwareScorer>(), .filters = {}};
      });
}

}  // namespace tokenfab::routing
