// Simulation::Impl: the event handler behind Simulation (simulation.h), split from the public
// header so that it can hold the simulator's internal classes.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"

#include "gateway/tenant_fair_share.h"
#include "gateway/valley_filler.h"
#include "sim/sim_gateway.h"
#include "sim/sim_node.h"
#include "tokenfab/bench/prompt_builder.h"
#include "tokenfab/sim/event_queue.h"
#include "tokenfab/sim/simulation.h"

namespace tokenfab::sim {

enum EventKind : uint32_t {
  kArrival = 1,  // data: request index
  kReachNode,    // target: node; data: request index
  kStepEnd,      // target: node
  kResponseEnd,  // data: request index
  kPollSample,   // target: node
  kPollReport,   // target: node
  kTimeline,     // data: index into the spec's events
  kValleyTick,   // the batch runner's tick: the valley filler releases batch lines
};

class Simulation::Impl final : public EventHandler {
 public:
  Impl(std::shared_ptr<const fleet::FleetConfig> config, const SimWorkloadSpec& spec,
       std::vector<SimRequest> plan, const SimOptions& options);

  // Builds the nodes and the gateway (the fallible part of construction).
  [[nodiscard]] Status Init();
  SimResult Run(const ProgressFn& progress);
  void OnEvent(const Event& event) override;

 private:
  // Per-request state while it is in the fleet: from routing to its response's end (or until
  // the run ends, for one still in flight), kept for those requests only (the hub's hour routes
  // hundreds of millions; a record each, its admission ticket included, was most of the
  // per-request memory).
  struct Flight {
    GatewayDecision decision;
    std::vector<int32_t> prompt;  // until it reaches the node
    int64_t down_delay_us = 0;    // node -> gateway, sampled at dispatch
  };

  [[nodiscard]] Status BuildNodes();
  // The per-site time series' bucket width (SimOptions::series_interval_s).
  int64_t SeriesIntervalMicros() const;
  // An upstream's step-time model: the workload spec's [profiles] entry, else the fleet file's
  // `profile` (a step-profile JSON file), else the roofline from its hardware.
  [[nodiscard]] StatusOr<StepTimeModel> NodeModel(const fleet::Upstream& up,
                                                  const ModelShape& shape) const;
  // Timeline (sim_timeline.cc): the nodes each event hits, checked against the fleet.
  [[nodiscard]] Status ResolveTimeline();
  void OnTimeline(uint64_t index);
  // Installs the fleet as the operator's reload would make it now: live_fleet_ (prices as
  // changed so far) with no model listed on a drained upstream; returns the new config.
  const fleet::FleetConfig& Reconfigure();
  void OnStepEnd(uint32_t node);
  void OnArrival(uint64_t index);
  // Routes request `index` and sends it on (or ends it when refused); `prefer_site` as in
  // SimGateway::Route. Whether it was sent.
  bool Dispatch(uint64_t index, std::string_view prefer_site);
  // Batch work (simulation_batch.cc), as gateway/batch_runner does it: every 100 ms the valley
  // filler's release (PlanRelease, BatchConcurrency) and the tenants' fair share by tokens
  // (TenantFairShare) pick the lines to send, each to the site it was released to; lines still
  // pending at their batch's deadline end unfinished (expired).
  void InitBatches();
  void OnValleyTick();
  void OnBatchLineEnd(uint64_t index);
  void OnReachNode(uint32_t node, uint64_t index);
  void OnResponseEnd(uint64_t index);
  void OnPollSample(uint32_t node);
  void OnPollReport(uint32_t node);
  // Starts steps on an idle node; without exact steps runs them inline while unobservable.
  void RunNode(uint32_t node);
  void CollectTerminated(uint32_t node);
  void End(uint64_t index, RequestOutcome::End how, int64_t at_us);
  bool Active() const { return ended_ < plan_.size(); }
  SimResult Collect(double wall_s);

  const std::shared_ptr<const fleet::FleetConfig> config_;
  const SimWorkloadSpec spec_;
  const std::vector<SimRequest> plan_;
  const SimOptions options_;
  EventCore core_;
  base::Random network_random_;
  bench::PromptBuilder prompts_;
  std::unique_ptr<SimGateway> gateway_;
  std::vector<std::unique_ptr<SimNode>> nodes_;
  std::vector<StatusOr<gateway::UpstreamLoad>> polled_;  // sampled, not yet reported
  std::vector<std::vector<uint32_t>> timeline_nodes_;    // nodes each timeline event hits
  fleet::FleetSpec live_fleet_;  // the fleet file with the timeline's price changes so far
  std::vector<bool> drained_;    // by node
  std::vector<std::shared_ptr<const fleet::FleetConfig>> reloads_;  // kept for the nodes' sites
  absl::flat_hash_map<uint64_t, Flight> flights_;  // by request index, those in flight
  std::vector<RequestOutcome> outcomes_;
  int32_t max_prompt_tokens_ = 0;
  uint64_t interactive_ = 0;  // plan_[0, interactive_) arrive; the rest are batch lines
  std::vector<std::deque<uint64_t>> batch_pending_;  // by tier: lines not sent yet
  int64_t batch_in_flight_ = 0;
  gateway::TenantFairShare fair_share_{4096};
  gateway::ValleyOptions valley_;
  uint64_t ended_ = 0;
  std::string policy_spec_;
};

}  // namespace tokenfab::sim
