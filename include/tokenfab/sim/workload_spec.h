// SimWorkloadSpec: what the simulator serves, from a SPEC.toml:
//
//   model = "qwen3-8b"             # the model name requests ask for (upstreams must serve it)
//   duration_s = 600               # simulated seconds of arrivals (--duration overrides)
//   start_utc_hour = 9             # wall-clock hour at simulated time 0 (prices, diurnal curve)
//   [arrivals]
//   process = "poisson"            # or "gamma" (with burstiness = the gamma shape k)
//   rate = 20                      # mean requests/s at a diurnal factor of 1
//   tokens_per_day = 1.2e9         # alternative to rate: rate = this / 86400 / mean tokens
//   [diurnal]
//   hourly = [ ...24 factors... ]  # rate multiplier by UTC hour; omitted: flat 1
//   [lengths]
//   input = "lognormal:1000:0.8"   # LengthDistribution specs (bench's)
//   output = "lognormal:200:0.7"
//   [[tiers]]                      # tenant mix: one tenant per tier, `share` of the requests
//   name = "premium"
//   share = 0.2
//   ttft_slo_ms = 500
//   tpot_slo_ms = 50
//   priority = 10
//   rpm = 600; tpm = 2e6; max_concurrency = 64   # optional admission limits (ledger)
//   regions = ["cn"]               # optional data residency
//   shared_prefix_blocks = 2       # optional: 512-token system-prompt blocks shared by the tier
//   input = "..."; output = "..."  # optional per-tier lengths
//   batch_lines = 2000             # a batch backlog instead of arrivals (share and SLOs
//   window_s = 86400               # ignored): its lines, submitted at submit_s, released by the
//   submit_s = 0                   # valley filler (gateway/valley_filler.h) and due by
//                                  # submit_s + window_s; one tenant per tier, as for the rest
//   [node]                         # how each simulated node is set up
//   memory_gib = 80                # device memory per device; KV gets the rest after weights
//   memory_utilization = 0.9
//   block_size = 16; max_running = 256; max_batch_tokens = 8192
//   [roofline]                     # efficiency factors (step_time_model.h)
//   compute_efficiency = 0.5; bandwidth_efficiency = 0.7; overhead_us = 100
//   [model_shape]                  # for a model KnownModelShape does not know
//   total_params_b = 8; active_params_b = 8; layers = 32; kv_heads = 8; head_dim = 128
//   context = 8192; bytes_per_weight = 2
//   [profiles]                     # optional measured step-time models by upstream name
//   "hub-node-1" = "base=5000,prefill=20,decode=300,kv=0.01"
//   "hub-node-2" = "node2.json"    # or `tokenfab bench engine --profile` output (step_profile.h),
//                                  # relative to this file
//   [gateway]
//   poll_interval_ms = 200
//   max_batch_in_flight = 64       # batch lines in flight at most (gateway --max-batch-in-flight);
//                                  # 0: the fleet's slots (the sum of the nodes' max_running)
//   [[events]]                     # a timeline: failures, maintenance, prices
//   at_s = 120                     # simulated seconds from the start
//   action = "down"                # "down", "up", "drain" or "price"
//   upstream = "hub-node-1"        # one upstream, or: site = "hub-west" (all its upstreams)
//   # "down": the node fails (its requests fail, it refuses new ones, draws no power) until
//   # "up". "drain": the gateway stops routing to it (as a fleet-file reload that no longer
//   # lists the model on it); the node finishes what it holds (what was routed before the
//   # drain included) and idles; "up" ends a drain too. "price" (a site only) replaces the
//   # site's tariff from then on, for the energy account and for the gateway (as a reload of
//   # the fleet file with the new prices), with one of:
//   price = 0.9                    # flat, in the site's energy currency per kWh
//   price_factor = 2               # every hour of the site's tariff times this
//   [plan]                         # `tokenfab plan` (fleet_plan.h): search bounds and capital
//   node_cost_per_hour = 2.5       # capital per node-hour, fleet currency (default 0)
//   max_factor = 4                 # default max nodes of a group = fleet file's count x this
//   [[plan.groups]]                # bounds for a site's nodes (of one hardware model, if given)
//   site = "hub-west"; hardware = "NVIDIA H800 SXM5"; min = 1; max = 16; node_cost_per_hour = 3
//
// Every section is optional; a misspelt key is an error naming its line. Plain data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/bench/arrival.h"
#include "tokenfab/bench/length_distribution.h"
#include "tokenfab/engine/performance_model.h"
#include "tokenfab/ledger/tenant.h"
#include "tokenfab/sim/step_time_model.h"

namespace tokenfab::sim {

struct TierMix {
  ledger::Tier tier;
  double share = 1;  // relative share of the requests
  std::vector<std::string> regions;
  int32_t shared_prefix_blocks = 0;
  std::optional<bench::LengthDistribution> input_tokens;
  std::optional<bench::LengthDistribution> output_tokens;
  // A batch backlog (> 0 lines): not drawn by share; released by the valley filler.
  int64_t batch_lines = 0;
  double window_s = 86400;  // the completion window, from submit_s
  double submit_s = 0;      // when the batch is submitted, simulated s

  bool batch() const { return batch_lines > 0; }
};

// The node priority of batch lines (gateway::kFlexPriority: below every interactive tier).
inline constexpr int32_t kBatchPriority = -1;

struct NodeSpec {
  double memory_gib = 80;  // per device
  double memory_utilization = 0.9;
  int32_t block_size = 16;
  int32_t max_running = 256;
  int32_t max_batch_tokens = 8192;
};

// One timeline event. Plain data.
struct TimelineEvent {
  enum class Action { kDown, kUp, kDrain, kPrice };
  double at_s = 0;
  Action action = Action::kDown;
  std::string upstream;  // exactly one of upstream and site (kPrice: site)
  std::string site;
  double price = -1;         // kPrice: flat price from then on (site currency per kWh); or
  double price_factor = -1;  // kPrice: the site's tariff times this
};

// Bounds for `tokenfab plan` on the nodes of a site (all hardware, or one hardware model).
struct PlanGroupBounds {
  std::string site;
  std::string hardware;  // Hardware::model; empty: every model at the site
  int32_t min = 0;
  int32_t max = -1;                // -1: the fleet file's count x max_factor
  double node_cost_per_hour = -1;  // -1: PlanSpec::node_cost_per_hour
};

struct PlanSpec {
  double node_cost_per_hour = 0;  // capital per node-hour, fleet currency
  double max_factor = 4;
  std::vector<PlanGroupBounds> groups;
};

struct SimWorkloadSpec {
  std::string model = "qwen3-8b";
  double duration_s = 600;
  int32_t start_utc_hour = 0;
  bench::ArrivalOptions arrivals{bench::ArrivalKind::kPoisson, 10.0, 1.0};
  double tokens_per_day = 0;    // > 0: sets the rate from the mean lengths
  std::vector<double> diurnal;  // 24 factors, or empty
  bench::LengthDistribution input_tokens = bench::LengthDistribution::Fixed(1024);
  bench::LengthDistribution output_tokens = bench::LengthDistribution::Fixed(256);
  std::vector<TierMix> tiers;  // never empty after parsing: a default "standard" tier
  NodeSpec node;
  RooflineOptions roofline;
  std::optional<ModelShape> model_shape;
  std::map<std::string, engine::PerformanceModel> profiles;  // by upstream name
  int64_t poll_interval_ms = 200;
  int64_t max_batch_in_flight = 64;  // [gateway]: batch lines in flight at most; 0: fleet slots
  std::vector<TimelineEvent> events;
  PlanSpec plan;

  // The model shape to simulate: [model_shape], else KnownModelShape(model); NotFound else.
  [[nodiscard]] StatusOr<ModelShape> Shape() const;
};

// The single tier a run has without a spec: SLOs TTFT 2 s, TPOT 100 ms.
TierMix DefaultTier();

// `source` names the text in messages.
[[nodiscard]] StatusOr<SimWorkloadSpec> ParseWorkloadSpec(std::string_view toml_text,
                                                          std::string_view source);
[[nodiscard]] StatusOr<SimWorkloadSpec> LoadWorkloadSpec(const std::string& path);

}  // namespace tokenfab::sim
