// UpstreamRuntime: everything the gateway keeps about one upstream while it runs: where to send
// requests, its circuit breaker, the requests this gateway has in flight there, and what the last
// polls said. One object per (name, URL): a reload that keeps an upstream keeps its runtime (and
// with it the breaker, the counters and the learned state), so streams in flight are untouched.
//
// It also learns, from the requests that end there, a step-time model (for upstreams that
// publish none) and how far the latency predictor was from what they saw.
//
// Thread-safe: counters are atomics, poll figures sit behind a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "prediction_error.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/upstream_state.h"
#include "tokenfab/gateway/circuit_breaker.h"
#include "tokenfab/net/http_url.h"
#include "tokenfab/routing/step_model_learner.h"
#include "upstream_load.h"

namespace tokenfab::gateway {

// How polls turn into health. Plain data.
struct HealthOptions {
  int down_after = 2;          // failed polls in a row that mark an upstream down
  int up_after = 2;            // successful polls in a row that mark a down upstream up again
  double rtt_smoothing = 0.3;  // weight of the newest RTT sample in the moving average, (0, 1]
};

// What one request saw at an upstream, for learning and for the prediction error. Plain data.
struct LatencyObservation {
  fleet::UpstreamState at_dispatch;  // the state routing saw when it was sent
  double predicted_ttft_ms = 0;      // PredictLatency's, at dispatch (0: none)
  double predicted_tpot_ms = 0;
  double predicted_decode_step_ms = 0;  // its decode-only part (without interference); 0: none
  double ttft_ms = 0;  // observed from dispatch to the first content; 0: none arrived
  double tpot_ms = 0;  // observed mean over its output; 0: one token or none
  int32_t prompt_tokens = 0;
  int32_t cached_tokens = 0;
};

// The median absolute relative prediction errors, -1 when nothing was observed. Plain data.
struct PredictionErrors {
  double ttft_p50 = -1;
  double tpot_p50 = -1;
  int64_t ttft_count = 0;
  int64_t tpot_count = 0;
};

class UpstreamRuntime {
 public:
  // Finished requests whose TPOT interference counts: the median of their residuals (observed
  // TPOT less predicted decode step). The prefill riding in a request's steps comes from the
  // requests that arrive while it decodes, so one request's residual is noisy and heavy-tailed
  // (a burst behind it fills every step to the budget); the median of the recent ones is what the
  // next request most likely sees.
  static constexpr size_t kInterferenceWindow = 64;

  UpstreamRuntime(const fleet::Upstream& upstream, const base::Clock& clock,
                  CircuitBreakerOptions breaker_options);

  const std::string& name() const { return name_; }
  // Name, URL, API key (by a digest) and a registered node's incarnation: what must match for a
  // reload to keep this runtime.
  const std::string& identity() const { return identity_; }
  // The identity a runtime built for `upstream` would have, without building one.
  static std::string IdentityOf(const fleet::Upstream& upstream);
  fleet::UpstreamKind kind() const { return kind_; }
  // The base URL as the HTTP client takes it; nullopt for URLs it cannot reach (neither http
  // nor https).
  const std::optional<net::HttpUrl>& url() const { return url_; }
  // The upstream's API key (fleet::Upstream::api_key), sent as a bearer token; "" for none.
  const std::string& api_key() const { return api_key_; }
  CircuitBreaker& breaker() { return breaker_; }
  const CircuitBreaker& breaker() const { return breaker_; }

  // Requests this gateway sent and that have not ended.
  int32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  void AddInFlight(int32_t delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }
  // Prompt tokens sent to be prefilled (uncached): until the next poll, Current() counts them in
  // the queue (the upstream has not reported them yet).
  void AddSentTokens(int64_t tokens) { sent_tokens_.fetch_add(tokens, std::memory_order_relaxed); }

  // A request ended: learn the step-time model from it (when the upstream publishes none), the
  // TPOT interference (the median over the last kInterferenceWindow requests of observed TPOT
  // less predicted decode step, the lower middle for an even count, never below 0), and record
  // the prediction error.
  void Observe(const LatencyObservation& observation);
  PredictionErrors prediction_errors() const;

  // Set once a reload dropped the upstream: polling stops.
  bool retired() const { return retired_.load(std::memory_order_acquire); }
  void Retire() { retired_.store(true, std::memory_order_release); }

  // Folds one poll into the live state: `load` as parsed (or why the poll failed), `rtt_micros`
  // the poll's round trip, at wall time `wall_micros`. Returns true when health changed.
  bool ReportPoll(const StatusOr<UpstreamLoad>& load, int64_t rtt_micros, int64_t wall_micros,
                  const HealthOptions& options);

  // The polled state (health, load, RTT) without this gateway's adjustments.
  fleet::UpstreamState polled() const;
  // The state routing should see now: polled() plus the requests (and prompt tokens) sent since
  // the last poll (the upstream has not reported them yet), the breaker's state, and the learned
  // step-time model when the upstream publishes none.
  fleet::UpstreamState Current() const;
  // The upstream's limit on running requests, 0 unknown.
  int32_t max_running() const;
  // Tokens per block of the prefix hashes the upstream reports (0: it reports none).
  int32_t block_tokens() const;
  // The cached prefix-block hashes of the last poll, most recently used first (may be null).
  std::shared_ptr<const std::vector<uint64_t>> recent_block_hashes() const;
  // The last poll failure, for logs and the status page ("" when the last poll succeeded).
  std::string last_error() const;
  // Parsers with memory (histogram means over the poll interval). REQUIRES: one poll at a time.
  MetricsLoadReader& metrics_reader() { return metrics_reader_; }

 private:
  const std::string name_;
  const std::string api_key_;
  const std::string identity_;
  const fleet::UpstreamKind kind_;
  const std::optional<net::HttpUrl> url_;
  CircuitBreaker breaker_;
  std::atomic<int32_t> in_flight_{0};
  std::atomic<bool> retired_{false};
  std::atomic<int64_t> sent_tokens_{0};
  MetricsLoadReader metrics_reader_;

  mutable absl::Mutex mu_;
  fleet::UpstreamState polled_ ABSL_GUARDED_BY(mu_);
  int32_t in_flight_at_poll_ = 0;  // in_flight() when the last load report arrived; mu_
  int64_t sent_tokens_at_poll_ ABSL_GUARDED_BY(mu_) = 0;
  routing::StepModelLearner learner_ ABSL_GUARDED_BY(mu_);
  PredictionError ttft_error_ ABSL_GUARDED_BY(mu_);
  PredictionError tpot_error_ ABSL_GUARDED_BY(mu_);
  std::vector<double> residuals_ ABSL_GUARDED_BY(mu_);  // ring of the last TPOT residuals, ms
  size_t next_residual_ ABSL_GUARDED_BY(mu_) = 0;
  double interference_ms_ ABSL_GUARDED_BY(mu_) = -1;  // < 0: nothing observed yet
  int32_t max_running_ ABSL_GUARDED_BY(mu_) = 0;
  int32_t block_tokens_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const std::vector<uint64_t>> recent_hashes_ ABSL_GUARDED_BY(mu_);
  int failures_ ABSL_GUARDED_BY(mu_) = 0;   // polls failed in a row
  int successes_ ABSL_GUARDED_BY(mu_) = 0;  // polls succeeded in a row
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

// The HTTP client's form of an upstream URL (http or https); nullopt for another scheme.
std::optional<net::HttpUrl> ClientUrl(const net::HttpUrl& url);

}  // namespace tokenfab::gateway
