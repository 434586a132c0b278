#include "tokenfab/node/node_server.h"

#include <thread>

#include <fmt/format.h>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "absl/synchronization/mutex.h"

#include "node/completion_handler.h"
#include "node/drain_handler.h"
#include "node/load_json.h"
#include "node/node_context.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/model_list.h"
#include "tokenfab/api/operator_auth.h"
#include "tokenfab/api/server_timing.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/router.h"

namespace tokenfab::node {
namespace {

void HandleHealth(NodeContext& node, net::HttpExchange& exchange) {
  std::string_view status = "ok";
  int code = 200;
  if (node.stopping.load(std::memory_order_acquire)) {
    status = "stopping";
    code = 503;
  } else if (node.drain.load(std::memory_order_acquire) != NodeContext::DrainState::kServing) {
    status = "draining";
    code = 503;
  } else if (node.host_ptr.load(std::memory_order_acquire) == nullptr) {
    status = "loading";
    code = 503;
  }
  net::HttpResponse response = net::HttpResponse::Json(
      code, boost::json::serialize(boost::json::object{
                {"status", boost::json::string_view(status.data(), status.size())}}));
  if (code == 503) {
    response.headers.Set("Retry-After", std::to_string(node.options.loading_retry_after_s));
  }
  node.Answer(exchange, "/health", std::move(response));
}

// Liveness: 200 while the process answers at all, loading, draining and stopping included, so
// that a drain longer than a liveness probe allows does not get the node restarted. Readiness
// (whether to send it work) is /health's.
void HandleLive(NodeContext& node, net::HttpExchange& exchange) {
  node.Answer(exchange, "/live", net::HttpResponse::Json(200, R"({"status":"alive"})"));
}

void HandleMetrics(NodeContext& node, net::HttpExchange& exchange) {
  if (auto error = api::OperatorAuthError(exchange.request(), node.options.operator_token)) {
    return node.Answer(exchange, "/metrics", api::ApiErrorResponse(*error));
  }
  if (node.http != nullptr) node.metrics.UpdateServerStats(node.http->stats());
  net::HttpResponse response;
  response.status = 200;
  response.headers.Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
  response.body = node.registry.WritePrometheusText();
  node.Answer(exchange, "/metrics", std::move(response));
}

void HandleLoad(NodeContext& node, net::HttpExchange& exchange) {
  if (auto error = api::OperatorAuthError(exchange.request(), node.options.operator_token)) {
    return node.Answer(exchange, "/load", api::ApiErrorResponse(*error));
  }
  ModelHost* host = node.ready_host();
  if (host == nullptr)
    return node.Answer(exchange, "/load", api::ApiErrorResponse(node.NotReadyError()));
  std::shared_ptr<const engine::EngineLoad> load = host->engine().Load();
  api::LoadReport report = NodeLoadReport(host->served_model_name(), *load, host->step_model());
  // Published keyed: the engine's own hashes are a public function of (tenant, tokens).
  node.options.prefix_key->PublishAll(report.block_hashes);
  net::HttpResponse response = net::HttpResponse::Json(200, api::LoadReportJson(report));
  // The node's part of the poll, which the gateway takes out of its RTT measurement.
  response.headers.Set(
      api::kServerTimingHeader,
      api::ServerTimingValue("load", node.clock.NowMicros() - exchange.arrival_micros()));
  node.Answer(exchange, "/load", std::move(response));
}

// POST /admin/pace {"factor": F} (operator only): the synthetic engine's steps last F times
// their model from now on, and /load publishes the model so scaled. Answers {"factor": F}.
void HandlePace(NodeContext& node, net::HttpExchange& exchange) {
  if (auto error = api::OperatorAuthError(exchange.request(), node.options.operator_token)) {
    return node.Answer(exchange, "/admin/pace", api::ApiErrorResponse(*error));
  }
  ModelHost* host = node.ready_host();
  if (host == nullptr) {
    return node.Answer(exchange, "/admin/pace", api::ApiErrorResponse(node.NotReadyError()));
  }
  boost::system::error_code ec;
  const boost::json::value body = boost::json::parse(exchange.request().body, ec);
  const boost::json::value* factor =
      !ec && body.is_object() ? body.as_object().if_contains("factor") : nullptr;
  Status set = factor != nullptr && factor->is_number()
                   ? host->SetPace(factor->to_number<double>())
                   : api::InvalidParamError("factor", "expected {\"factor\": number}");
  if (!set.ok()) {
    return node.Answer(exchange, "/admin/pace",
                       api::ApiErrorResponse(api::ApiErrorFromStatus(set)));
  }
  TF_LOG_INFO("pace set to {} by the operator", host->pace());
  node.Answer(exchange, "/admin/pace",
              net::HttpResponse::Json(
                  200, boost::json::serialize(boost::json::object{{"factor", host->pace()}})));
}

api::ModelCard CardOf(const NodeContext& node, const ModelHost& host) {
  api::ModelCard card;
  card.id = host.served_model_name();
  card.created = node.started_unix_s;
  card.max_model_len = host.max_model_len();
  return card;
}

void HandleModels(NodeContext& node, net::HttpExchange& exchange, bool one) {
  const std::string_view handler = one ? "/v1/models/{id}" : "/v1/models";
  if (std::optional<api::ApiError> error = node.KeyError(exchange.request())) {
    return node.Answer(exchange, handler, api::ApiErrorResponse(*error));
  }
  ModelHost* host = node.ready_host();
  if (host == nullptr)
    return node.Answer(exchange, handler, api::ApiErrorResponse(node.NotReadyError()));
  if (!one) {
    return node.Answer(exchange, handler,
                       net::HttpResponse::Json(200, api::ModelListJson({CardOf(node, *host)})));
  }
  const std::string_view id =
      exchange.request().path().substr(std::string_view("/v1/models/").size());
  if (id != host->served_model_name()) {
    return node.Answer(exchange, handler, api::ApiErrorResponse(api::ModelNotFoundError(id)));
  }
  node.Answer(exchange, handler,
              net::HttpResponse::Json(200, api::ModelCardJson(CardOf(node, *host))));
}

net::Router MakeRouter(NodeContext& node) {
  net::Router router;
  for (api::Endpoint endpoint : {api::Endpoint::kCompletions, api::Endpoint::kChatCompletions}) {
    router.Handle("POST", api::EndpointPath(endpoint),
                  [&node, endpoint](std::shared_ptr<net::HttpExchange> exchange) {
                    HandleCompletion(node, endpoint, std::move(exchange));
                  });
  }
  router.Handle("GET", "/v1/models", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleModels(node, *exchange, /*one=*/false);
  });
  router.Handle("GET", "/v1/models/*", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleModels(node, *exchange, /*one=*/true);
  });
  router.Handle("GET", "/health", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleHealth(node, *exchange);
  });
  router.Handle("GET", "/live", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleLive(node, *exchange);
  });
  router.Handle("GET", "/metrics", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleMetrics(node, *exchange);
  });
  router.Handle("GET", "/load", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleLoad(node, *exchange);
  });
  router.Handle("POST", "/drain", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleDrainRequest(node, *exchange);
  });
  router.Handle("GET", "/drain", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandleDrainState(node, *exchange);
  });
  router.Handle("POST", "/admin/pace", [&node](std::shared_ptr<net::HttpExchange> exchange) {
    HandlePace(node, *exchange);
  });
  return router;
}

net::HttpServerOptions HttpOptions(const NodeOptions& options) {
  net::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.pool = options.pool;
  http.io_threads = options.io_threads;
  http.max_header_bytes = options.max_header_bytes;
  http.max_body_bytes = options.max_body_bytes;
  http.max_connections = options.max_connections;
  http.idle_timeout = options.idle_timeout;
  http.read_timeout = options.read_timeout;
  http.write_timeout = options.write_timeout;
  http.request_timeout = options.request_timeout;
  http.tls = options.tls;
  // Errors the transport answers itself (413, 431, 404, 405, 408, 503) in OpenAI's shape.
  http.error_responder = [](int status, std::string_view message) {
    return api::ApiErrorResponse(api::ApiErrorForHttpStatus(status, message));
  };
  return http;
}

}  // namespace

StatusOr<std::unique_ptr<NodeServer>> NodeServer::Start(const NodeOptions& options,
                                                        base::Clock& clock) {
  if (options.stream_threads < 1) {
    return absl::InvalidArgumentError("stream_threads must be at least 1");
  }
  NodeOptions keyed = options;
  if (!keyed.prefix_key) {
    TF_ASSIGN_OR_RETURN(keyed.prefix_key, api::PrefixKey::Random());
  }
  auto context = std::make_shared<NodeContext>(keyed, clock);
  // ThreadPool(n) runs n - 1 workers; the engine thread must never run a task inline.
  context->stream_pool = std::make_unique<base::ThreadPool>(options.stream_threads + 1);
  TF_ASSIGN_OR_RETURN(context->http, net::HttpServer::Start(HttpOptions(options),
                                                            MakeRouter(*context), context->clock));
  return std::unique_ptr<NodeServer>(new NodeServer(std::move(context)));
}

NodeServer::NodeServer(std::shared_ptr<NodeContext> context) : context_(std::move(context)) {}

NodeServer::~NodeServer() { Stop(); }

base::MetricsRegistry& NodeServer::metrics_registry() { return context_->registry; }
base::Clock& NodeServer::clock() { return context_->clock; }

void NodeServer::Serve(std::unique_ptr<ModelHost> host) {
  absl::MutexLock lock(&context_->stop_mu);
  if (context_->stopping.load() || context_->host != nullptr) return;
  TF_LOG_INFO("serving: {}", host->description());
  context_->host = std::move(host);
  context_->host_ptr.store(context_->host.get(), std::memory_order_release);
}

bool NodeServer::ready() const { return context_->ready_host() != nullptr; }
uint16_t NodeServer::port() const { return context_->http->port(); }
std::string NodeServer::address() const { return context_->http->address(); }

Status NodeServer::ReloadTls() { return context_->http->ReloadTls(); }

void NodeServer::Stop(std::chrono::milliseconds grace) {
  absl::MutexLock lock(&context_->stop_mu);
  if (context_->stopping.exchange(true)) return;
  // New requests now get 503; those in progress have `grace` to finish, then are cancelled
  // (their handlers see the cancellation and cancel their engine requests).
  context_->http->Stop(grace);
  // Ends whatever is still live; the last events reach the stream pool, which drains them.
  if (context_->host != nullptr) context_->host->engine().Shutdown();
  context_->stream_pool.reset();
  context_->host_ptr.store(nullptr, std::memory_order_release);
  context_->host.reset();
  if (context_->num_calls() != 0) {
    TF_LOG_WARN("{} requests were still registered after shutdown", context_->num_calls());
  }
}

size_t NodeServer::Drain(std::chrono::milliseconds grace) {
  NodeContext& node = *context_;
  node.drain.store(NodeContext::DrainState::kRefusing, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (node.num_calls() != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return node.num_calls();
}

bool NodeServer::ReportDrained(std::chrono::milliseconds linger) {
  NodeContext& node = *context_;
  node.drain.store(NodeContext::DrainState::kDrained, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + linger;
  while (!node.drained_reported.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return node.drained_reported.load(std::memory_order_acquire);
}

}  // namespace tokenfab::node
