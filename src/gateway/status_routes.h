// The gateway's routes besides inference: GET /v1/models, /health, /metrics, /load and /fleet.
// Their handlers answer at once from the live state (no blocking work), except /v1/models, which
// authenticates on a control worker.
#pragma once

#include <memory>

#include "gateway_context.h"
#include "tokenfab/net/router.h"

namespace tokenfab::gateway {

// GET /v1/models and /health.
void AddStatusRoutes(std::shared_ptr<GatewayContext> context, net::Router& router);
// The operations routes /load, /fleet and /metrics, behind OperatorOnly.
void AddOperationsRoutes(std::shared_ptr<GatewayContext> context, net::Router& router);

// `handler` behind the operator token (GatewayOptions::operator_token): a request without it is
// answered 401 in OpenAI's error shape, with `WWW-Authenticate: <challenge>` ("Bearer", or
// "Basic" for pages a browser opens, so that it asks for the token).
net::HttpHandler OperatorOnly(std::shared_ptr<GatewayContext> context, net::HttpHandler handler,
                              std::string_view challenge = "Bearer");

// The aggregate load of the fleet as the api::LoadReport a node writes, so that an edge gateway
// can poll this one like a node: sums of running and waiting requests, limits and rates over
// healthy upstreams, the shortest queue delay, the mean KV use and TPOT, and the union of the
// cached prefix-block hashes (at most 4096).
std::string FleetLoadJson(const GatewayContext& context);

}  // namespace tokenfab::gateway
