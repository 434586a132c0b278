// SimNode: one upstream of the fleet on simulated time. It runs the engine's real Scheduler (its
// capacity and micro-batch stages, the KV block manager and the prefix cache) exactly as the
// engine loop does (Schedule, compute, Update, TakeTerminated), with the model runner replaced by
// a StepTimeModel: a step's outcome is one sampled token per sequence with logits, its duration
// the model's. Requests end by max_tokens (the trace's output length), as a benchmark asks.
//
// It also keeps what an operator reads off a node: busy time (compute utilisation), the
// time-averaged KV use, tokens, and IT energy and its cost (power from the hardware's idle/max
// figures: max while a step runs, idle otherwise; priced at the site's hour-of-day price of the
// moment, facility energy = IT energy * PUE); and it reports its load as a tokenfab node's
// GET /load does (the engine's RateTracker for the measured rates; cached block hashes refreshed
// at most every `hashes_refresh_us`, as the engine does).
//
// Ownership: owns its clock, scheduler and models; borrows the upstream and site descriptions
// (from the FleetConfig, which must outlive it; SetSite moves to another config's site, which
// must outlive it too). Not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "engine/rate_tracker.h"
#include "gateway/upstream_load.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/engine/scheduled_request.h"
#include "tokenfab/engine/scheduler.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/sim/node_series.h"
#include "tokenfab/sim/step_time_model.h"

namespace tokenfab::sim {

struct SimNodeOptions {
  engine::SchedulerConfig scheduler;
  int32_t max_waiting_requests = 1024;       // as EngineOptions
  int32_t max_reported_block_hashes = 4096;  // as EngineOptions
  int64_t hashes_refresh_us = 100'000;       // as EngineOptions::load_hashes_refresh_us
  int64_t rate_time_constant_us = 2'000'000;
  int64_t wall_origin_us = 0;    // wall time (µs since the epoch) at simulated time 0
  int64_t series_bucket_us = 0;  // series() bucket width; 0: no series kept
};

// Energy and work totals of one node. Plain data.
struct NodeTotals {
  int64_t steps = 0;
  int64_t busy_us = 0;
  double kv_usage_us = 0;  // integral of KV usage over busy time, µs
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t generated_tokens = 0;
  int64_t preemptions = 0;
  double it_wh = 0;        // IT energy
  double facility_wh = 0;  // IT energy * PUE
  double cost = 0;         // fleet currency
  double co2_g = 0;
};

class SimNode {
 public:
  // REQUIRES: options.scheduler.Validate() OK.
  SimNode(const fleet::Upstream& upstream, const fleet::Site& site, StepTimeModel model,
          const SimNodeOptions& options);
  SimNode(const SimNode&) = delete;
  SimNode& operator=(const SimNode&) = delete;

  // Queues a request at node time `now_us` (the clock moves there). ResourceExhausted when the
  // node's waiting queue is full, as the engine refuses; otherwise the scheduler's status.
  [[nodiscard]] Status Submit(engine::RequestSpec spec, int64_t now_us);

  // Plans a step at `now_us` when none is in flight and there is work: returns when it ends,
  // or -1 when nothing can run. REQUIRES: !in_step().
  int64_t BeginStep(int64_t now_us);
  // Applies the step in flight at its end. REQUIRES: in_step().
  void EndStep();
  bool in_step() const { return in_step_; }
  int64_t step_end_us() const { return step_end_us_; }

  // Requests that ended since the last call (the engine's usage hand-off); their tokens are
  // added to totals().
  std::vector<std::unique_ptr<engine::ScheduledRequest>> TakeTerminated();

  // Takes the node down at `now_us` (a failure or maintenance: it draws no power, answers no
  // poll, refuses new requests; the requests it holds fail once the step in flight, if any, is
  // over: see FailAll) or brings it back up, empty.
  void SetDown(bool down, int64_t now_us);
  bool down() const { return down_; }
  // The site's energy terms from `now_us` on (a price change): idle time up to now is accounted
  // at the old terms; a step in flight is accounted at its end, at the new ones. `site` must
  // outlive the node.
  void SetSite(const fleet::Site& site, int64_t now_us);
  // Fails every live request (the node was lost). REQUIRES: !in_step().
  void FailAll(int64_t now_us);

  // What GET /load would say at `now_us`.
  gateway::UpstreamLoad Load(int64_t now_us);

  // The energy cost (fleet currency) of the steps request `id` took part in, each step's cost
  // shared by its sequences by the tokens each computed (idle power is not a request's); then
  // forgets it. 0 for a request it never stepped.
  double TakeCost(engine::RequestId id);

  // Accounts idle power from the last activity up to `end_us` (the end of the run).
  void CloseAccounts(int64_t end_us);

  const engine::Scheduler& scheduler() const { return scheduler_; }
  const NodeTotals& totals() const { return totals_; }
  // The node's steps by time bucket (options.series_bucket_us).
  const NodeSeries& series() const { return series_; }
  const fleet::Upstream& upstream() const { return upstream_; }
  const StepTimeModel& model() const { return model_; }

 private:
  // Adds `duration_us` of power at utilisation `u` starting at node time `start_us`.
  void Account(int64_t start_us, int64_t duration_us, double utilisation);

  const fleet::Upstream& upstream_;
  const fleet::Site* site_;
  const StepTimeModel model_;
  const SimNodeOptions options_;
  base::ManualClock clock_;
  engine::Scheduler scheduler_;
  engine::internal::RateTracker rates_;
  engine::ScheduledBatch batch_;
  std::vector<engine::SequenceResult> results_;
  bool in_step_ = false;
  int64_t step_start_us_ = 0;
  int64_t step_end_us_ = 0;
  int32_t step_waiting_ = 0;        // requests left waiting when the step in flight began
  int64_t accounted_until_us_ = 0;  // energy accounted up to here
  int64_t hashes_at_us_ = -1;       // when cached_hashes_ was taken
  std::vector<uint64_t> cached_hashes_;
  std::array<int64_t, 3> hashes_version_ = {-1, -1, -1};  // cache stats when they were taken
  std::vector<engine::RequestId> live_ids_;  // submitted, not yet handed back (any order)
  absl::flat_hash_map<engine::RequestId, double> request_cost_;  // fleet currency, by request
  bool down_ = false;
  NodeTotals totals_;
  NodeSeries series_;
};

}  // namespace tokenfab::sim
