// UpstreamRuntime: everything the gateway keeps about one upstream while it runs: where to send
// requests, its circuit breaker, the requests this gateway has in flight there, and what the last
// polls said. One object per (name, URL): a reload that keeps an upstream keeps its runtime (and
// with it the breaker, the counters and the learned state), so streams in flight are untouched.
//
// Thread-safe: counters are atomics, poll figures sit behind a mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/clock.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/upstream_state.h"
#include "tokenfab/gateway/circuit_breaker.h"
#include "tokenfab/net/http_url.h"
#include "upstream_load.h"

namespace tokenfab::gateway {

// How polls turn into health. Plain data.
struct HealthOptions {
  int down_after = 2;          // failed polls in a row that mark an upstream down
  int up_after = 2;            // successful polls in a row that mark a down upstream up again
  double rtt_smoothing = 0.3;  // weight of the newest RTT sample in the moving average, (0, 1]
};

class UpstreamRuntime {
 public:
  UpstreamRuntime(const fleet::Upstream& upstream, const base::Clock& clock,
                  CircuitBreakerOptions breaker_options);

  const std::string& name() const { return name_; }
  // Name and URL: what must match for a reload to keep this runtime.
  const std::string& identity() const { return identity_; }
  fleet::UpstreamKind kind() const { return kind_; }
  // The base URL as the HTTP client takes it; nullopt for URLs it cannot reach (https).
  const std::optional<net::HttpUrl>& url() const { return url_; }
  CircuitBreaker& breaker() { return breaker_; }
  const CircuitBreaker& breaker() const { return breaker_; }

  // Requests this gateway sent and that have not ended.
  int32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }
  void AddInFlight(int32_t delta) { in_flight_.fetch_add(delta, std::memory_order_relaxed); }

  // Set once a reload dropped the upstream: polling stops.
  bool retired() const { return retired_.load(std::memory_order_acquire); }
  void Retire() { retired_.store(true, std::memory_order_release); }

  // Folds one poll into the live state: `load` as parsed (or why the poll failed), `rtt_micros`
  // the poll's round trip, at wall time `wall_micros`. Returns true when health changed.
  bool ReportPoll(const StatusOr<UpstreamLoad>& load, int64_t rtt_micros, int64_t wall_micros,
                  const HealthOptions& options);

  // The polled state (health, load, RTT) without this gateway's adjustments.
  fleet::UpstreamState polled() const;
  // The state routing should see now: polled() plus the requests sent since the last poll (the
  // upstream has not reported them yet) and the breaker's state.
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
  const std::string identity_;
  const fleet::UpstreamKind kind_;
  const std::optional<net::HttpUrl> url_;
  CircuitBreaker breaker_;
  std::atomic<int32_t> in_flight_{0};
  std::atomic<bool> retired_{false};
  MetricsLoadReader metrics_reader_;

  mutable absl::Mutex mu_;
  fleet::UpstreamState polled_ ABSL_GUARDED_BY(mu_);
  int32_t in_flight_at_poll_ = 0;     // in_flight() when the last load report arrived; mu_
  int32_t max_running_ ABSL_GUARDED_BY(mu_) = 0;
  int32_t block_tokens_ ABSL_GUARDED_BY(mu_) = 0;
  std::shared_ptr<const std::vector<uint64_t>> recent_hashes_ ABSL_GUARDED_BY(mu_);
  int failures_ ABSL_GUARDED_BY(mu_) = 0;   // polls failed in a row
  int successes_ ABSL_GUARDED_BY(mu_) = 0;  // polls succeeded in a row
  std::string last_error_ ABSL_GUARDED_BY(mu_);
};

// The HTTP client's form of an upstream URL; nullopt for https (no TLS in the client).
std::optional<net::HttpUrl> ClientUrl(const net::HttpUrl& url);

}  // namespace tokenfab::gateway
