// OpsHistory: what the operations page (GET /dashboard) shows over time, kept in memory. Requests
// report how they ended (OnEvent for every metered request, OnRefusal for those the gateway
// refused itself); a timer calls Sample() every few seconds, which turns what came in since the
// last sample into one point (tokens/s, requests/s, errors/s, TTFT and TPOT percentiles per tier,
// and the fleet's live state: utilisation, queue and power per upstream). Points go into a ring
// buffer of `capacity` samples (a few hours); the totals per tenant and per site, and the last
// errors, are kept since the start.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tokenfab/ledger/tenant.h"
#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::gateway {

// The live state of one upstream at a sample, as the gateway's FleetSnapshot has it.
struct UpstreamPoint {
  std::string name;
  double utilisation = 0;  // running / max_running, or KV use when the limit is unknown; [0, 1]
  double kv_usage = 0;     // [0, 1]
  int32_t waiting = 0;     // queued at the upstream
  int32_t running = 0;
  double power_w = 0;  // facility power at that utilisation (hardware power times PUE)
};

// Percentiles of the requests that ended within one sample's window; absent without any.
struct LatencyPoint {
  std::optional<double> ttft_p50_ms, ttft_p95_ms, tpot_p50_ms, tpot_p95_ms;
};

struct OpsSample {
  int64_t wall_micros = 0;
  double tokens_per_s = 0;    // prompt + completion tokens of the requests that ended
  double requests_per_s = 0;  // every request that ended, refused ones included
  double errors_per_s = 0;    // ended in an error (5xx, upstream failure, cut-off stream)
  double refused_per_s = 0;   // refused by the gateway (auth, admission, bad request)
  std::map<std::string, LatencyPoint> tiers;  // by tier name
  std::vector<UpstreamPoint> upstreams;       // in the fleet's upstream order at the sample
};

struct TenantTotals {
  int64_t requests = 0;
  int64_t tokens = 0;
  ledger::Micros spend = 0;  // price charged, micro-units of `currency`
  std::string currency;
};

struct SiteTotals {
  int64_t tokens = 0;
  double energy_wh = 0;    // facility energy metered
  double energy_cost = 0;  // at the site's price when each request ended, fleet currency
  double carbon_g = 0;
};

struct OpsError {
  int64_t wall_micros = 0;
  std::string kind;  // the error code ("rate_limit_exceeded", "upstream_error", ...)
  int32_t http_status = 0;
  std::string tenant, model, upstream;
  std::string message;
};

class OpsHistory {
 public:
  // `capacity`: samples kept; `interval_micros`: their spacing (for the rates).
  OpsHistory(size_t capacity, int64_t interval_micros);

  // A metered request ended (any status): tokens, spend and latency go in. `energy_price`:
  // the serving site's price per kWh now (fleet currency).
  void OnEvent(const ledger::UsageEvent& event, const ledger::Tier& tier, double energy_price)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The gateway answered `http_status` itself with the API error body `body` (its code names
  // the kind).
  void OnRefusal(int64_t wall_micros, int32_t http_status, std::string_view body,
                 std::string_view tenant, std::string_view model) ABSL_LOCKS_EXCLUDED(mu_);

  // Closes the current window into a sample at `wall_micros` with the fleet's live state.
  void Sample(int64_t wall_micros, std::vector<UpstreamPoint> upstreams) ABSL_LOCKS_EXCLUDED(mu_);

  struct View {
    std::vector<OpsSample> samples;  // oldest first
    std::map<std::string, ledger::Tier> tiers;
    std::map<std::string, TenantTotals> tenants;
    std::map<std::string, SiteTotals> sites;
    std::vector<OpsError> errors;  // newest first
    std::map<std::string, int64_t> errors_by_kind;
    int64_t interval_micros = 0;
  };
  View Read() const ABSL_LOCKS_EXCLUDED(mu_);

  static constexpr size_t kRecentErrors = 50;

 private:
  struct Window {
    int64_t tokens = 0, requests = 0, errors = 0, refused = 0;
    std::map<std::string, std::vector<double>> ttft_ms, tpot_ms;  // by tier
  };
  void AddError(OpsError error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t capacity_;
  const int64_t interval_micros_;
  mutable absl::Mutex mu_;
  Window window_ ABSL_GUARDED_BY(mu_);
  int64_t last_sample_micros_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<OpsSample> samples_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, ledger::Tier> tiers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, TenantTotals> tenants_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, SiteTotals> sites_ ABSL_GUARDED_BY(mu_);
  std::deque<OpsError> errors_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> errors_by_kind_ ABSL_GUARDED_BY(mu_);
};

// The q-quantile (0..1) of `values` by nearest rank; REQUIRES: !values.empty(). Reorders values.
double NearestRankQuantile(std::vector<double>& values, double q);

}  // namespace tokenfab::gateway
