// GatewayContext: the services every request of a gateway shares (owned by Gateway::Impl, which
// outlives every request: it waits for them before it goes), and the gateway's counters and
// metrics. Thread-safe: the services are; counters are atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "fleet_state.h"
#include "ops_history.h"
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
#include "valley_gate.h"

namespace tokenfab::gateway {

class BatchRunner;

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
  base::Counter& energy_joules;       // facility energy (the ledger's energy_wh times 3600)
  base::Histogram& dispatch_seconds;  // arrival to upstream call started
  base::Histogram& ttft_seconds;      // arrival to first content relayed
  base::Counter& slo_queued;          // requests that waited in the SLO queue
  // Requests by how they ended: ok, rejected, error, cancelled. The one count of outcomes:
  // Gateway::stats() reads it too.
  base::Counter& Outcome(std::string_view outcome);
  // Facility energy (recorded in J), its cost at the site's price (fleet currency), its carbon
  // and tokens, by region.
  void RegionEnergy(const std::string& region, double energy_wh, double cost, double carbon_g,
                    int64_t tokens);
  // Tokens and price charged (currency units) of a tenant's request.
  void TenantUsage(const std::string& tenant, int64_t tokens, double spend,
                   const std::string& currency);
  // A request that produced content, by its tenant's tier: its TTFT and TPOT (µs; 0 unknown,
  // not observed), whether each met the tier's objective (an objective of 0 is not checked), and
  // how far routing's TTFT prediction was off (|observed - predicted| / predicted; negative:
  // no prediction).
  void ObserveServed(const std::string& tier, int64_t ttft_micros, int64_t tpot_micros,
                     int64_t ttft_slo_ms, int64_t tpot_slo_ms, double ttft_prediction_error);
  // A usage event the ledger made durable (ok) or refused.
  void LedgerEvent(bool ok);
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
  OpsHistory& ops;  // what the operations page shows over time
  RetryPolicy retry;
  GatewayCounters counters;
  GatewayMetrics metrics;
  std::string request_id_prefix;  // random per process
  std::atomic<uint64_t> next_request{0};
  std::atomic<uint64_t> seed_counter{0};
  // The ledger (files and batches; internal batch-line principals). Set before serving.
  ledger::Store* store = nullptr;
  // Random per process: the batch runner's calls to this gateway carry it (x-tokenfab-batch) to
  // act for a batch's tenant under a per-line request id. Never leaves the process.
  std::string batch_secret;
  // Runs the Batch API's batches; null when the Files and Batches APIs are off.
  std::shared_ptr<BatchRunner> batch_runner;
  // Requests no upstream is predicted to serve within their TTFT SLO yet (slo_pump.h).
  SloQueue slo_queue;
  std::atomic<bool> slo_pump_scheduled{false};
  // The usage spool (GatewayOptions::usage_spool_dir); null when off.
  ledger::UsageSpool* spool = nullptr;
  // Whether there is room for work that can wait (batch lines, flex requests): valley_gate.h.
  ValleyGate valley;
};

}  // namespace tokenfab::gateway
