// The gateway's routes besides inference: GET /v1/models, /health, /metrics, /load and /fleet.
// Their handlers answer at once from the live state (no blocking work), except /v1/models, which
// authenticates on a control worker.
#pragma once

#include <memory>

#include "gateway_context.h"
#include "tokenfab/net/router.h"

namespace tokenfab::gateway {

void AddStatusRoutes(std::shared_ptr<GatewayContext> context, net::Router& router);

// The aggregate load of the fleet as the api::LoadReport a node writes, so that an edge gateway
// can poll this one like a node: sums of running and waiting requests, limits and rates over
// healthy upstreams, the shortest queue delay, the mean KV use and TPOT, and the union of the
// cached prefix-block hashes (at most 4096).
std::string FleetLoadJson(const GatewayContext& context);

}  // namespace tokenfab::gateway
