// SimReport: what an operator reads off a simulation: per tier TTFT, TPOT and end-to-end
// p50/p90/p99, SLO attainment and goodput (the bench layer's definitions: a request meets its
// tier's SLOs when it completed with TTFT <= ttft_slo and TPOT <= tpot_slo, a one-token answer
// having no TPOT; attainment = met / all requests of the tier, refused and rejected ones
// included; goodput = met / arrival window); per site compute utilisation (busy share of the
// simulated span), KV utilisation (time-averaged share of blocks in use) and tokens/s; totals:
// tokens, facility kWh, energy cost (fleet currency, idle power included), gCO2 and energy cost
// per million tokens (prompt + completion); per site over time, in buckets: compute and KV
// utilisation, waiting requests and tokens/s.
// Tables for people and JSON for machines. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/sim/simulation.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {

struct Percentiles {
  int64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0;
};

struct TierReport {
  std::string tier;
  int64_t requests = 0, completed = 0, rejected = 0, failed = 0;
  Percentiles ttft_ms, tpot_ms, e2e_ms;
  double slo_attainment = 0;
  double goodput_rps = 0;
  // The energy cost of the steps its requests took part in (each step's cost shared by tokens
  // computed; idle power is no tier's) per million of its tokens (prompt + completion).
  double step_energy_cost = 0;
  double energy_cost_per_mtok = 0;
  // A batch tier: lines completed by submit_s + window_s (-1 for an interactive tier).
  int64_t within_window = -1;
};

struct SiteReport {
  std::string site;
  double compute_utilisation = 0;  // [0, 1]
  double kv_utilisation = 0;       // [0, 1]
  double tokens_per_s = 0;         // prompt + completion
  double kwh = 0;                  // facility
  double energy_cost = 0;          // fleet currency
  // Over time, one value per bucket of PolicyReport::series_interval_s (the last bucket ends
  // with the run, so it may be shorter): compute and KV utilisation (as above, over the
  // bucket), mean waiting requests (the site's nodes together, as queued behind their steps)
  // and tokens/s its nodes computed (prefill + decode; cached prompt tokens are not computed).
  std::vector<double> compute_series, kv_series, queue_series, tokens_per_s_series;
};

struct PolicyReport {
  std::string policy;
  std::vector<TierReport> tiers;
  TierReport all;  // every interactive tier together (batch tiers have no SLO: not in it)
  std::vector<SiteReport> sites;
  int64_t prompt_tokens = 0, cached_tokens = 0, generated_tokens = 0;
  double sim_s = 0;              // simulated span
  double series_interval_s = 0;  // the sites' series bucket width
  double tokens_per_s = 0;       // prompt + completion over the simulated span
  double kwh = 0, energy_cost = 0, co2_g = 0, energy_cost_per_mtok = 0;
  std::string currency;
  // Wall-clock figures (differ between identical runs).
  uint64_t events = 0;
  double wall_s = 0;
};

PolicyReport Summarize(const SimResult& result, const fleet::FleetConfig& config,
                       const SimWorkloadSpec& spec);

// {"policies": [{"policy", "ttft_ms": {"p50","p90","p99"}, "tpot_ms", "e2e_ms", "goodput_rps",
// "slo_attainment", "energy_cost_per_mtok", "utilisation": {site: {"compute","kv"}},
// "tokens_per_s", "tiers": [...], "sites": [{..., "series": {"compute", "kv", "queue",
// "tokens_per_s"}: arrays by bucket}], "series_interval_s", "totals": {...}}, ...],
// "events_per_s", "sim_seconds_per_wall_second"}: the last two are the only wall-clock fields.
std::string FormatJson(const std::vector<PolicyReport>& reports);
// A side-by-side table, one column per policy.
std::string FormatTable(const std::vector<PolicyReport>& reports);

}  // namespace tokenfab::sim

namespace tokenfab::sim {

// `--compare`: the same workload and seed on two fleets (or two policies), old and new side by
// side, one entry per policy (old[i] against now[i]): the difference new - old in goodput, SLO
// attainment overall and per tier, utilisation per site (sites matched by name; a site in only
// one fleet counts as 0 in the other), tokens/s, energy cost and cost per million tokens.
// As a table, or as JSON {"old": ..., "new": ..., "difference": [...]}.
// REQUIRES: old.size() == now.size().
std::string FormatComparison(const std::vector<PolicyReport>& old,
                             const std::vector<PolicyReport>& now, bool json);

}  // namespace tokenfab::sim
