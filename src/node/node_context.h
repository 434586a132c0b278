// NodeContext: the services and state every request of a node shares: what the node's handlers,
// its in-flight requests and the server object use (the node's counterpart of the gateway's
// GatewayContext). Internal to the node layer.
//
// Ownership: the NodeServer owns it (through a shared_ptr that the stream tasks do not hold: the
// server stops the HTTP side, the engine and the stream pool before it goes). Thread-safe as
// annotated per field.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "absl/synchronization/mutex.h"

#include "node/node_metrics.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/net/http_server.h"
#include "tokenfab/node/node_server.h"

namespace tokenfab::node {

class CompletionCall;

class NodeContext {
 public:
  // Borrows `clock`: it must outlive the context.
  NodeContext(const NodeOptions& options, base::Clock& clock);
  ~NodeContext();

  // Answers and counts a response for `handler`.
  void Answer(net::HttpExchange& exchange, std::string_view handler, net::HttpResponse response);

  // The host once Serve() ran and until Stop(); null otherwise (answers 503).
  ModelHost* ready_host() const;
  // 503 "loading" or "shutting down", with Retry-After.
  api::ApiError NotReadyError() const;
  // The 401 for a request without the configured API key (`Authorization: Bearer KEY`, read by
  // api::ParseBearerToken): api::MissingApiKeyError or api::InvalidApiKeyError. nullopt when the
  // key matches or none is configured.
  std::optional<api::ApiError> KeyError(const net::HttpRequest& request) const;

  // In-flight completion requests. Register() keeps the call alive until Unregister().
  uint64_t Register(std::shared_ptr<CompletionCall> call);
  void Unregister(uint64_t id);
  size_t num_calls() const;

  // A fresh response id's random part.
  uint64_t NextIdBits();

  const NodeOptions options;
  base::Clock& clock;
  const int64_t started_unix_s;  // for /v1/models `created`
  base::MetricsRegistry registry;
  NodeMetrics metrics;

  std::unique_ptr<net::HttpServer> http;          // set by Start()
  std::unique_ptr<base::ThreadPool> stream_pool;  // the engine events' writers
  std::unique_ptr<ModelHost> host;                // set by Serve()
  std::atomic<ModelHost*> host_ptr{nullptr};      // host.get() once ready
  std::atomic<bool> stopping{false};
  absl::Mutex stop_mu;  // serialises Serve() and Stop()

  // Drain by request (drain_handler.h): kRequested from POST /drain (the owner withdraws the node
  // from routing, still serving), kRefusing from NodeServer::Drain() (new completions get 503),
  // kDrained from NodeServer::ReportDrained().
  enum class DrainState { kServing, kRequested, kRefusing, kDrained };
  std::atomic<DrainState> drain{DrainState::kServing};
  std::atomic<bool> drained_reported{false};  // a GET /drain answered "drained"

 private:
  mutable absl::Mutex calls_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<CompletionCall>> calls_ ABSL_GUARDED_BY(calls_mu_);
  uint64_t next_call_id_ ABSL_GUARDED_BY(calls_mu_) = 1;
  std::atomic<uint64_t> id_counter_{0};
  const uint64_t id_seed_;
};

}  // namespace tokenfab::node
