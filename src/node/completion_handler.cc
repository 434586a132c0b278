#include "node/completion_handler.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "node/completion_call.h"
#include "node/prompt_preparer.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/completion_response.h"

namespace tokenfab::node {
namespace {

constexpr size_t kMaxIdentifierBytes = 256;  // x-request-id, x-tokenfab-tenant

StatusOr<CallContext> ReadHeaders(const net::HttpHeaders& headers) {
  CallContext context;
  if (std::optional<std::string_view> id = headers.Get("x-request-id")) {
    if (id->size() > kMaxIdentifierBytes) {
      return absl::InvalidArgumentError(
          fmt::format("x-request-id is longer than {} bytes", kMaxIdentifierBytes));
    }
    context.request_id = std::string(*id);
  }
  if (std::optional<std::string_view> tenant = headers.Get("x-tokenfab-tenant")) {
    if (tenant->size() > kMaxIdentifierBytes) {
      return absl::InvalidArgumentError(
          fmt::format("x-tokenfab-tenant is longer than {} bytes", kMaxIdentifierBytes));
    }
    context.tenant = std::string(*tenant);
  }
  if (std::optional<std::string_view> priority = headers.Get("x-tokenfab-priority")) {
    const char* end = priority->data() + priority->size();
    auto [ptr, ec] = std::from_chars(priority->data(), end, context.priority);
    if (ec != std::errc() || ptr != end) {
      return absl::InvalidArgumentError(
          fmt::format("x-tokenfab-priority must be an integer, not '{}'", priority->substr(0, 64)));
    }
  }
  if (std::optional<std::string_view> slo = headers.Get("x-tokenfab-tpot-slo-ms")) {
    double ms = 0;
    const char* end = slo->data() + slo->size();
    auto [ptr, ec] = std::from_chars(slo->data(), end, ms);
    if (ec != std::errc() || ptr != end || !(ms > 0) || ms > 3.6e6) {
      return absl::InvalidArgumentError(fmt::format(
          "x-tokenfab-tpot-slo-ms must be a number of milliseconds in (0, 3600000], not '{}'",
          slo->substr(0, 64)));
    }
    context.tpot_slo_us = std::max<int64_t>(1, static_cast<int64_t>(ms * 1000));
  }
  return context;
}

void RespondError(NodeContext& node, net::HttpExchange& exchange, std::string_view handler,
                  const api::ApiError& error) {
  net::HttpResponse response = api::ApiErrorResponse(error);
  if (std::optional<std::string_view> id = exchange.request().headers.Get("x-request-id")) {
    if (net::IsValidHeaderValue(*id)) response.headers.Set("x-request-id", std::string(*id));
  }
  node.Answer(exchange, handler, std::move(response));
}

}  // namespace

void HandleCompletion(NodeContext& node, api::Endpoint endpoint,
                      std::shared_ptr<net::HttpExchange> exchange) {
  const std::string_view handler = api::EndpointPath(endpoint);
  const net::HttpRequest& http = exchange->request();
  if (std::optional<api::ApiError> error = node.KeyError(http)) {
    return RespondError(node, *exchange, handler, *error);
  }
  ModelHost* host = node.ready_host();
  if (host == nullptr) {
    return RespondError(node, *exchange, handler, node.NotReadyError());
  }
  if (node.drain.load(std::memory_order_acquire) >= NodeContext::DrainState::kRefusing) {
    return RespondError(
        node, *exchange, handler,
        api::OverloadedError(503, "the node is draining", node.options.loading_retry_after_s));
  }
  StatusOr<CallContext> context = ReadHeaders(http.headers);
  if (!context.ok()) {
    return RespondError(node, *exchange, handler, api::ApiErrorFromStatus(context.status()));
  }
  StatusOr<api::CompletionRequest> request =
      api::ParseCompletionRequest(endpoint, http.body, node.options.request_limits);
  if (!request.ok()) {
    return RespondError(node, *exchange, handler, api::ApiErrorFromStatus(request.status()));
  }
  if (!request->model.empty() && request->model != host->served_model_name()) {
    return RespondError(node, *exchange, handler, api::ModelNotFoundError(request->model));
  }
  if (request->min_tokens > 0 &&
      !(request->ignore_eos && request->sampling.stop_token_ids.empty() &&
        request->sampling.stop_strings.empty())) {
    // Without ignore_eos a stop could come first; the engine has no minimum to enforce it.
    return RespondError(node, *exchange, handler,
                        api::ApiErrorFromStatus(api::InvalidParamError(
                            "min_tokens",
                            "'min_tokens' is supported together with 'ignore_eos' and without "
                            "stop strings or stop token ids")));
  }
  StatusOr<std::vector<PreparedPrompt>> prompts =
      PreparePrompts(*request, *host, host->max_model_len());
  if (!prompts.ok()) {
    return RespondError(node, *exchange, handler, api::ApiErrorFromStatus(prompts.status()));
  }

  api::ResponseMeta meta;
  meta.endpoint = endpoint;
  meta.id = api::MakeResponseId(endpoint, node.NextIdBits(), node.NextIdBits());
  meta.created = node.clock.WallMicros() / 1'000'000;
  meta.model = host->served_model_name();
  if (context->request_id.empty()) context->request_id = meta.id;
  auto call =
      std::make_shared<CompletionCall>(node, std::move(exchange), *std::move(request),
                                       *std::move(prompts), std::move(meta), *std::move(context));
  call->Start(*host);
}

}  // namespace tokenfab::node
