// NodeMetrics: the node's own Prometheus metrics, next to the engine's (engine_metrics.h), under
// vLLM's names with the tokenfab: prefix where vLLM has one:
//
//   tokenfab:request_prompt_tokens       histogram  prompt tokens per finished request
//   tokenfab:request_generation_tokens   histogram  generated tokens per finished request
//   tokenfab:request_params_n            histogram  choices asked per request (`n`)
//   tokenfab:http_requests_total{handler,code}      counter  answers by route and status
//   tokenfab:http_connections_open       gauge      client connections open
//   tokenfab:http_client_disconnects_total          counter  requests the client abandoned
//   tokenfab:streams_open                gauge      completion requests in flight
//
// Ownership: the registry owns the metrics and must outlive this object. Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/metrics.h"
#include "tokenfab/net/http_server.h"

namespace tokenfab::node {

class NodeMetrics {
 public:
  NodeMetrics(base::MetricsRegistry& registry, const base::MetricLabels& labels);

  // One answer of `handler` (a route, e.g. "/v1/completions") with HTTP `code`.
  void CountResponse(std::string_view handler, int code);
  // One finished request's token counts and choices.
  void ObserveRequest(int64_t prompt_tokens, int64_t generation_tokens, int32_t n);
  void SetStreamsOpen(int64_t n) { streams_open_.Set(static_cast<double>(n)); }
  // Copies the HTTP server's counters in (before each scrape).
  void UpdateServerStats(const net::HttpServerStats& stats);

 private:
  base::MetricsRegistry& registry_;
  const base::MetricLabels labels_;
  base::Histogram& prompt_tokens_;
  base::Histogram& generation_tokens_;
  base::Histogram& params_n_;
  base::Gauge& connections_open_;
  base::Counter& client_disconnects_;
  base::Gauge& streams_open_;
  absl::Mutex mu_;
  int64_t disconnects_seen_ ABSL_GUARDED_BY(mu_) = 0;  // the server's count already added
};

}  // namespace tokenfab::node
