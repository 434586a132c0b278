// The handler of POST /v1/completions and POST /v1/chat/completions: checks the API key and
// readiness, parses and validates the body, checks the model name, reads the gateway's headers
// (x-request-id, x-tokenfab-tenant, x-tokenfab-priority, x-tokenfab-tpot-slo-ms), prepares the
// prompts, and hands the request to a CompletionCall. Runs on the connection's I/O thread and
// never blocks.
#pragma once

#include <memory>

#include "node/node_context.h"
#include "tokenfab/api/completion_request.h"
#include "tokenfab/net/http_exchange.h"

namespace tokenfab::node {

void HandleCompletion(NodeContext& node, api::Endpoint endpoint,
                      std::shared_ptr<net::HttpExchange> exchange);

}  // namespace tokenfab::node
