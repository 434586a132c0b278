#include "node/drain_handler.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "tokenfab/api/api_error.h"
#include "tokenfab/api/operator_auth.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::node {
namespace {

net::HttpResponse StateResponse(NodeContext& node, int status) {
  const NodeContext::DrainState state = node.drain.load(std::memory_order_acquire);
  const std::string_view name = DrainStateName(state);
  return net::HttpResponse::Json(
      status, boost::json::serialize(
                  boost::json::object{{"state", boost::json::string_view(name.data(), name.size())},
                                      {"in_flight", static_cast<int64_t>(node.num_calls())}}));
}

}  // namespace

std::string_view DrainStateName(NodeContext::DrainState state) {
  switch (state) {
    case NodeContext::DrainState::kServing:
      return "serving";
    case NodeContext::DrainState::kRequested:
    case NodeContext::DrainState::kRefusing:
      return "draining";
    case NodeContext::DrainState::kDrained:
      return "drained";
  }
  return "serving";
}

void HandleDrainRequest(NodeContext& node, net::HttpExchange& exchange) {
  if (auto error = api::OperatorAuthError(exchange.request(), node.options.operator_token)) {
    return node.Answer(exchange, "/drain", api::ApiErrorResponse(*error));
  }
  if (!node.options.on_drain) {
    return node.Answer(exchange, "/drain",
                       api::ApiErrorResponse(api::MakeApiError(
                           501, "this node is not drained by request (stop it instead)",
                           "invalid_request_error", "drain_unsupported")));
  }
  NodeContext::DrainState serving = NodeContext::DrainState::kServing;
  if (node.drain.compare_exchange_strong(serving, NodeContext::DrainState::kRequested,
                                         std::memory_order_acq_rel)) {
    TF_LOG_INFO("drain requested: withdrawing, then letting {} requests finish", node.num_calls());
    node.options.on_drain();
  }
  node.Answer(exchange, "/drain", StateResponse(node, 202));
}

void HandleDrainState(NodeContext& node, net::HttpExchange& exchange) {
  if (auto error = api::OperatorAuthError(exchange.request(), node.options.operator_token)) {
    return node.Answer(exchange, "/drain", api::ApiErrorResponse(*error));
  }
  net::HttpResponse response = StateResponse(node, 200);
  const bool drained =
      node.drain.load(std::memory_order_acquire) == NodeContext::DrainState::kDrained;
  node.Answer(exchange, "/drain", std::move(response));
  if (drained) node.drained_reported.store(true, std::memory_order_release);
}

}  // namespace tokenfab::node
