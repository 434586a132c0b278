#include "retry_route.h"

#include <algorithm>

namespace tokenfab::gateway {

std::optional<RetryRoute> RouteRetryOnNewerFleet(const FleetState& state,
                                                 const FleetGeneration& current,
                                                 const routing::RoutingRequest& request,
                                                 const std::vector<std::string>& tried) {
  RetryRoute route;
  route.generation = state.generation();
  if (route.generation == nullptr || route.generation.get() == &current) return std::nullopt;
  const FleetGeneration& next = *route.generation;
  route.snapshot = state.Snapshot(next);
  route.decision = next.policy->Rank(request, *route.snapshot);
  std::erase_if(route.decision.ranked, [&](const routing::RankedUpstream& r) {
    return std::find(tried.begin(), tried.end(), next.upstreams[r.index]->identity()) !=
           tried.end();
  });
  for (; route.picked < route.decision.ranked.size(); ++route.picked) {
    UpstreamRuntime& candidate = *next.upstreams[route.decision.ranked[route.picked].index];
    if (candidate.url() && candidate.breaker().TryAcquire()) return route;
  }
  return std::nullopt;
}

}  // namespace tokenfab::gateway
