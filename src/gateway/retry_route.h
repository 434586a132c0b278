// Where a retry goes after the fleet changed under a request in flight. A request is ranked on
// the fleet generation it arrived under; a registry join, drain or leave (or a SIGHUP reload)
// installs a newer one meanwhile. Its retry is ranked again on the generation in force, leaving
// out the upstreams it already tried: a node that joined after the request arrived is a
// candidate (it may be the only one left once the first node died), and one that left or drains
// is not. A joined node needs no poll to be a candidate: it is healthy until its polls say
// otherwise, as every upstream of a new fleet is.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fleet_state.h"
#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/routing_request.h"

namespace tokenfab::gateway {

// A ranking on a newer generation, with its first pick already let through by its breaker.
// Plain data.
struct RetryRoute {
  std::shared_ptr<const FleetGeneration> generation;
  std::shared_ptr<const fleet::FleetSnapshot> snapshot;
  routing::RoutingDecision decision;  // the upstreams not tried yet, best first
  size_t picked = 0;                  // into decision.ranked: the one to call now
};

// The route for a retry of `request` when `state`'s generation is not `current` (the one the
// request was ranked on); `tried`: the identities (UpstreamRuntime::identity) of the upstreams
// it was sent to. nullopt when the generation is unchanged, or no untried upstream of the new
// one may take it (no URL, circuit open): the request then keeps its own ranking. A pick takes
// a breaker permit (CircuitBreaker::TryAcquire), as RequestRelay's own picks do.
std::optional<RetryRoute> RouteRetryOnNewerFleet(const FleetState& state,
                                                 const FleetGeneration& current,
                                                 const routing::RoutingRequest& request,
                                                 const std::vector<std::string>& tried);

}  // namespace tokenfab::gateway
