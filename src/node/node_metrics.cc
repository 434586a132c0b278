#include "node/node_metrics.h"

#include <string>

#include "absl/synchronization/mutex.h"

namespace tokenfab::node {
namespace {

// vLLM's token-count buckets: 1, 2, 5, 10, 20, 50, ... up to 1e5.
std::vector<double> TokenBuckets() {
  std::vector<double> bounds;
  for (double decade = 1; decade <= 1e5; decade *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m * decade <= 1e5) bounds.push_back(m * decade);
    }
  }
  return bounds;
}

base::MetricLabels With(base::MetricLabels labels, std::string name, std::string value) {
  labels.emplace_back(std::move(name), std::move(value));
  return labels;
}

}  // namespace

NodeMetrics::NodeMetrics(base::MetricsRegistry& registry, const base::MetricLabels& labels)
    : registry_(registry),
      labels_(labels),
      prompt_tokens_(registry.GetHistogram("tokenfab:request_prompt_tokens",
                                           "Prompt tokens of finished requests.", TokenBuckets(),
                                           labels)),
      generation_tokens_(registry.GetHistogram("tokenfab:request_generation_tokens",
                                               "Generated tokens of finished requests.",
                                               TokenBuckets(), labels)),
      params_n_(registry.GetHistogram("tokenfab:request_params_n",
                                      "The n (choices) of finished requests.",
                                      {1, 2, 5, 10, 20}, labels)),
      connections_open_(registry.GetGauge("tokenfab:http_connections_open",
                                          "Client connections open.", labels)),
      client_disconnects_(registry.GetCounter(
          "tokenfab:http_client_disconnects_total",
          "Requests cancelled because the client went away.", labels)),
      streams_open_(registry.GetGauge("tokenfab:streams_open",
                                      "Completion requests in flight.", labels)) {}

void NodeMetrics::CountResponse(std::string_view handler, int code) {
  registry_
      .GetCounter("tokenfab:http_requests_total", "HTTP answers by handler and status code.",
                  With(With(labels_, "handler", std::string(handler)), "code",
                       std::to_string(code)))
      .Increment();
}

void NodeMetrics::ObserveRequest(int64_t prompt_tokens, int64_t generation_tokens, int32_t n) {
  prompt_tokens_.Observe(static_cast<double>(prompt_tokens));
  generation_tokens_.Observe(static_cast<double>(generation_tokens));
  params_n_.Observe(n);
}

void NodeMetrics::UpdateServerStats(const net::HttpServerStats& stats) {
  connections_open_.Set(static_cast<double>(stats.connections_open));
  absl::MutexLock lock(&mu_);
  if (stats.client_disconnects > disconnects_seen_) {
    client_disconnects_.Increment(static_cast<double>(stats.client_disconnects - disconnects_seen_));
    disconnects_seen_ = stats.client_disconnects;
  }
}

}  // namespace tokenfab::node
