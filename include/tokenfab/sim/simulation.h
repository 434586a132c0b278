// Simulation: one run of the fleet digital twin. The fleet file's upstreams become SimNodes (the
// engine's real scheduler, KV block manager and prefix cache on simulated time, a step-time model
// in place of the runner), a SimGateway routes and admits with the gateway's own classes over
// snapshots as stale as its polling makes them, and each site's network path delays requests,
// responses and polls. The event core drives it all on one ManualClock; one Random (the seed)
// feeds every draw in a fixed order, so a run is a pure function of (fleet, workload, options).
//
// Events: an arrival routes a request (and schedules the next arrival); the request reaches its
// node a one-way delay later; nodes step (one event per step with exact_steps; otherwise a node
// runs its steps inline for as long as they end before the next queued event, since nothing can
// observe it in between, so both modes make the same decisions); a request's response reaches
// the gateway a one-way delay after it ends on the node; polls sample a node and report a
// one-way delay later, then wait the poll interval.
//
// Not thread-safe; one Run() per object.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/routing/policy_options.h"
#include "tokenfab/sim/node_series.h"
#include "tokenfab/sim/sim_workload.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {

struct SimOptions {
  std::string policy;  // a PolicyRegistry spec; empty: the default policy
  routing::PolicyOptions policy_options;
  uint64_t seed = 1;
  bool exact_steps = false;
  // Requests still running this long after the arrival window end unfinished (an overloaded
  // fleet would otherwise run for ever); 0: as long as the window, at least 600 s.
  double drain_s = 0;
  // Bucket width of the per-site time series (NodeResult::series); 0: the arrival window / 60
  // rounded up to whole seconds, at least 1 s.
  double series_interval_s = 0;
  bool check_invariants = false;  // audit every node's scheduler after each step (tests)
};

// How one request ended. Times are simulated µs as the client (next to the gateway) sees them.
struct RequestOutcome {
  enum class End { kPending, kCompleted, kRejected, kNoUpstream, kRefused, kUnfinished };
  End end = End::kPending;
  int32_t ends = 0;  // how many times it ended (conservation: exactly 1)
  uint32_t tier = 0;
  int32_t upstream = -1;
  int64_t arrival_us = 0;
  int64_t first_token_us = -1;
  int64_t end_us = -1;
  int32_t prompt_tokens = 0;
  int32_t cached_tokens = 0;
  int32_t generated_tokens = 0;
  double energy_cost = 0;  // its share of its steps' energy cost (SimNode::TakeCost)
};

// One node's figures at the end of a run. Plain data.
struct NodeResult {
  std::string upstream;
  uint32_t site = 0;
  std::string step_model;  // StepTimeModel::Describe()
  int64_t steps = 0;
  int64_t busy_us = 0;
  double kv_usage_us = 0;
  int64_t prompt_tokens = 0, cached_tokens = 0, generated_tokens = 0, preemptions = 0;
  double it_wh = 0, facility_wh = 0, cost = 0, co2_g = 0;
  int32_t kv_blocks_used_at_end = 0;  // conservation: 0
  int32_t live_requests_at_end = 0;
  NodeSeries series;  // its steps by time bucket (SimResult::series_interval_us)
};

struct SimResult {
  std::string policy;                    // normalized spec
  std::vector<RequestOutcome> outcomes;  // in plan order
  std::vector<NodeResult> nodes;         // by upstream index
  double window_s = 0;                   // arrival window (goodput's denominator)
  int64_t end_us = 0;                    // the last event's time
  int64_t series_interval_us = 0;        // the nodes' series bucket width
  uint64_t events = 0;
  double wall_s = 0;  // wall-clock seconds the run took
};

// Progress: simulated µs reached, wall seconds spent.
using ProgressFn = std::function<void(int64_t sim_us, double wall_s)>;

class Simulation {
 public:
  // Builds nodes, gateway and policy. InvalidArgument for a bad policy spec, a model no upstream
  // serves, hardware the roofline cannot use, or a node whose memory holds no KV block.
  [[nodiscard]] static StatusOr<std::unique_ptr<Simulation>> Create(
      std::shared_ptr<const fleet::FleetConfig> config, const SimWorkloadSpec& spec,
      std::vector<SimRequest> plan, const SimOptions& options);
  ~Simulation();

  // Runs to the end. `progress` (may be empty) is called about every 1 M events.
  SimResult Run(const ProgressFn& progress = {});

  class Impl;

 private:
  explicit Simulation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::sim
