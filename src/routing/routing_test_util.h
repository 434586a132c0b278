// Test fixtures for routing: a small three-site fleet built in code, snapshots from tables of
// upstream states, and rankings as names.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/policy.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing::testing {

// 2023-11-15T04:00:00Z = 12:00 in UTC+8, the zone of every test site.
inline constexpr int64_t kNoonWall = 1'700'020'800'000'000;

// Sites of the test fleet (all UTC+8, prices in CNY, equal hardware per upstream):
//   "hub"   region cn-west (residency "cn"): 0.40 CNY/kWh, PUE 1.2, green 0.55, 250 g/kWh, RTT 12
//   ms "coast" region cn-east (residency "cn"): 0.56 CNY/kWh, PUE 1.3, green 0.25, 480 g/kWh,
//   RTT 1.5 ms "edge"  region sg      (residency "sg"): 1.00 CNY/kWh, PUE 1.35, green 0.04, 410
//   g/kWh, RTT 38 ms
// Every upstream: 1 kW at full load, 10,000 prefill and 2,000 decode tokens/s.
struct UpstreamRow {
  std::string name;
  std::string site;
  std::vector<std::string> models = {"m"};
  double weight = 1;
};

std::shared_ptr<const fleet::FleetConfig> MakeFleet(const std::vector<UpstreamRow>& rows);

// hub-1, coast-1, edge-1: one upstream per site, serving "m".
std::shared_ptr<const fleet::FleetConfig> ThreeSiteFleet();

std::shared_ptr<const fleet::FleetSnapshot> MakeSnapshot(
    std::shared_ptr<const fleet::FleetConfig> config, std::vector<fleet::UpstreamState> states,
    int64_t wall_micros = kNoonWall);

// A state with `running` + `waiting` requests and, unless negative, a queue delay estimate.
fleet::UpstreamState Loaded(int32_t running, int32_t waiting = 0, double queue_delay_ms = 0);

// Upstream names of a decision, best first.
std::vector<std::string> Ranking(const RoutingDecision& decision, const fleet::FleetConfig& config);

// What `scorer` scores (or says about `upstream`) for `candidates`, as a policy would call it.
std::vector<double> ScoreWith(Scorer& scorer, const RoutingRequest& request,
                              const fleet::FleetSnapshot& snapshot,
                              std::span<const Candidate> candidates);
std::string ExplainWith(const Scorer& scorer, const RoutingRequest& request,
                        const fleet::FleetSnapshot& snapshot, std::span<const Candidate> candidates,
                        uint32_t upstream);

// A policy from the default registry (aborts on a bad spec), listing up to 16 upstreams.
std::unique_ptr<Policy> MakePolicy(std::string_view spec, uint64_t seed = 1);

}  // namespace tokenfab::routing::testing
