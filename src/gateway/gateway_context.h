// GatewayContext: the services every request of a gateway shares (owned by Gateway::Impl, which
// outlives every request: it waits for them before it goes), and the gateway's counters and
// metrics. Thread-safe: the services are; counters are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "fleet_state.h"
#include "price_cache.h"
#include "slo_queue.h"
#include "timer_queue.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/gateway/retry_policy.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/usage_recorder.h"
#include "tokenfab/net/http_client.h"

namespace tokenfab::gateway {

// How requests ended is counted once, in GatewayMetrics::Outcome(), not here.
struct GatewayCounters {
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> retries{0};
  std::atomic<int64_t> recorded{0};
  std::atomic<int64_t> record_failures{0};
  std::atomic<int64_t> reloads{0};
  std::atomic<int64_t> open{0};  // requests being served now
};

// The metrics hot paths update, looked up once.
struct GatewayMetrics {
  explicit GatewayMetrics(base::MetricsRegistry& registry);

  base::MetricsRegistry& registry;
  base::Counter& prompt_tokens;
  base::Counter& completion_tokens;
  base::Counter& cached_tokens;
  base::Counter& energy_wh;
  base::Histogram& dispatch_seconds;  // arrival to upstream call started
  base::Histogram& ttft_seconds;      // arrival to first content relayed
  base::Counter& slo_queued;          // requests that waited in the SLO queue
  // Requests by how they ended: ok, rejected, error, cancelled. The one count of outcomes:
  // Gateway::stats() reads it too.
  base::Counter& Outcome(std::string_view outcome);
  // Facility energy (Wh), its cost at the site's price (fleet currency) and tokens, by region.
  void RegionEnergy(const std::string& region, double energy_wh, double cost, int64_t tokens);
};

struct GatewayContext {
  GatewayOptions options;
  std::string name;  // this gateway, for logs and the x-tokenfab-upstream of its own answers
  base::Clock& clock;
  net::IoContextPool& pool;
  net::HttpClient& client;
  FleetState& fleet;
  TimerQueue& timers;
  base::ThreadPool& control;
  ledger::Authenticator& auth;
  ledger::AdmissionController& admission;
  ledger::UsageRecorder& recorder;
  PriceCache& prices;
  RetryPolicy retry;
  GatewayCounters counters;
  GatewayMetrics metrics;
  std::string request_id_prefix;  // random per process
  std::atomic<uint64_t> next_request{0};
  std::atomic<uint64_t> seed_counter{0};
  // Requests no upstream is predicted to serve within their TTFT SLO yet (slo_pump.h).
  SloQueue slo_queue;
  std::atomic<bool> slo_pump_scheduled{false};
};

}  // namespace tokenfab::gateway
