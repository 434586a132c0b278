// FleetPlan: `tokenfab plan`, the least-cost fleet that meets an SLO attainment for a demand,
// found by searching node counts with the twin (Simulation) as the oracle.
//
// Groups: the upstreams serving the spec's model, grouped by (site, hardware model) in fleet-file
// order. A group's bounds are [min, max] nodes: the spec's [[plan.groups]] entry for its site
// (and hardware, when the entry names one), else [0, fleet file's count x max_factor]. Node i of
// a group is the group's i-th upstream of the fleet file, or past those a copy of its first
// (named "<first>-plan<i>", its URL with "/plan<i>" appended, same weight, hardware and
// profile), so the fleet file's own
// counts rebuild the fleet file's fleet. Timeline events naming an upstream a plan drops are
// dropped with it.
//
// Cost per day = energy cost over the simulated span (the fleet's power x PUE x price by hour,
// idle power included) scaled to 86,400 s, plus nodes x node_cost_per_hour x 24 (capital, from
// the spec's [plan]). A plan meets the target when every tier's requests together reach
// `slo_attainment` (SimReport's definition).
//
// Search (deterministic: every candidate runs the same requests with the same seed): scale every
// group up together (counts = clamp(ceil(count x k / 4)), k = 1, 2, ...) to the first plan
// that meets the target; then, while one exists, take the cheapest plan one move away that still
// meets it and costs less: first removing one node from a group, else moving one node from one
// group to another. The result is never worse than the all-max plan when that one meets the
// target (the scale-up reaches it last). Evaluations are memoised.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/sim/sim_report.h"
#include "tokenfab/sim/sim_workload.h"
#include "tokenfab/sim/simulation.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {

struct PlanGroup {
  std::string site;
  std::string hardware;
  std::vector<uint32_t> upstreams;  // the fleet file's upstreams in the group, in order
  int32_t min = 0, max = 0;
  double node_cost_per_hour = 0;
};

struct PlanEvaluation {
  std::vector<int32_t> counts;  // by group
  PolicyReport report;
  double attainment = 0;
  double energy_cost_per_day = 0, capital_cost_per_day = 0, cost_per_day = 0;
  double cost_per_mtok = 0;  // cost_per_day over a day's tokens at the simulated rate
  bool meets = false;
};

struct FleetPlanOptions {
  double slo_attainment = 0.99;
  SimOptions sim;  // policy and seed of every run
};

struct FleetPlan {
  std::vector<PlanGroup> groups;
  PlanEvaluation best;     // meets the target when `feasible`
  PlanEvaluation all_max;  // every group at its max
  bool feasible = false;   // false: not even all-max meets the target (best = all_max)
  int32_t evaluations = 0;
  std::string currency;
};

// The groups and their bounds. InvalidArgument for a [[plan.groups]] site no group has.
[[nodiscard]] StatusOr<std::vector<PlanGroup>> MakePlanGroups(const fleet::FleetConfig& config,
                                                              const SimWorkloadSpec& spec);

// The fleet with `counts[g]` nodes of group g (and `spec` with profiles copied to new nodes and
// events on dropped upstreams removed). InvalidArgument when every count is 0.
[[nodiscard]] StatusOr<std::shared_ptr<const fleet::FleetConfig>> FleetWithCounts(
    const fleet::FleetConfig& config, const std::vector<PlanGroup>& groups,
    const std::vector<int32_t>& counts, SimWorkloadSpec* spec);

[[nodiscard]] StatusOr<FleetPlan> PlanFleet(const fleet::FleetConfig& config,
                                            const SimWorkloadSpec& spec,
                                            const std::vector<SimRequest>& requests,
                                            const FleetPlanOptions& options);

// A table for people, or JSON: {"feasible", "slo_attainment_target", "evaluations", "plan":
// [{"site", "hardware", "nodes", "min", "max"}], "cost_per_day", "energy_cost_per_day",
// "capital_cost_per_day", "cost_per_mtok", "currency", "attainment", "utilisation": {site:
// compute}, "tokens_per_s", "all_max": {"nodes", "cost_per_day", "attainment"}}.
std::string FormatPlan(const FleetPlan& plan, double target, bool json);

}  // namespace tokenfab::sim
