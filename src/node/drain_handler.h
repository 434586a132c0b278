// Drain by request, the routes behind `tokenfab node --drain` (operator-authenticated, as /load
// and /metrics are: api/operator_auth.h):
//
//   POST /drain   asks the node to drain: NodeOptions::on_drain is called (once; the owner then
//                 withdraws the node from routing, lets its streams finish and deregisters it);
//                 202 with the state below. Asking again changes nothing. 501 without on_drain.
//   GET  /drain   the state: {"state": "serving" | "draining" | "drained", "in_flight": N}
//
// While draining, /health answers 503 "draining" (a load balancer's readiness check takes the
// node out) and, once the owner calls NodeServer::Drain(), completions answer 503.
#pragma once

#include "node/node_context.h"
#include "tokenfab/net/http_exchange.h"

namespace tokenfab::node {

void HandleDrainRequest(NodeContext& node, net::HttpExchange& exchange);
void HandleDrainState(NodeContext& node, net::HttpExchange& exchange);

// "serving", "draining" or "drained".
std::string_view DrainStateName(NodeContext::DrainState state);

}  // namespace tokenfab::node
