#include "tokenfab/sim/fleet_plan.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tokenfab/base/check.h"

namespace tokenfab::sim {
namespace {

// Two sites 10 ms away (no jitter, no loss), "cheap" at 0.1 and "dear" at 1.0 per kWh, one
// upstream each of the same hardware: one device of 1000 TFLOP/s and 2000 GB/s (achieved x0.5 =
// 5e8 FLOP/µs, x0.7 = 1.4e6 B/µs), 100 W idle, 500 W busy. The model: dense, 1B parameters in
// 2-byte weights, 32,768 KV bytes per token (16 layers x 8 heads x 64 x 2 x 2 B).
fleet::FleetConfig TwoSiteFleet() {
  fleet::FleetSpec fleet;
  fleet.currency = "CNY";
  fleet::Region region;
  region.name = "r";
  fleet.regions = {region};
  for (const auto& [name, price] : {std::pair{"cheap", 0.1}, std::pair{"dear", 1.0}}) {
    fleet::Site site;
    site.name = name;
    site.region = "r";
    site.energy.prices = fleet::PriceSchedule::Flat(price);
    site.energy.currency = "CNY";
    fleet.sites.push_back(site);
    fleet::Upstream up;
    up.name = std::string(name) + "-node";
    auto url = net::ParseHttpUrl(fmt::format("http://127.0.0.1:{}", fleet.sites.size()));
    TF_CHECK(url.ok());
    up.url = *url;
    up.models = {"m"};
    up.site = name;
    up.hardware.model = "gpu";
    up.hardware.peak_tflops = 1000;
    up.hardware.mem_bandwidth_gbps = 2000;
    up.hardware.power_idle_w = 100;
    up.hardware.power_max_w = 500;
    fleet.upstreams.push_back(up);
    fleet::NetworkLink link;
    link.site = name;
    link.path.configured = true;
    link.path.rtt_ms = 10;
    fleet.network.push_back(link);
  }
  auto config = fleet::FleetConfig::Create(fleet);
  TF_CHECK(config.ok()) << config.status().ToString();
  return *std::move(config);
}

SimWorkloadSpec OneAtATimeSpec() {
  SimWorkloadSpec spec;
  spec.model = "m";
  TierMix tier = DefaultTier();
  tier.tier.ttft_slo_ms = 50;
  spec.tiers = {tier};
  spec.node.max_running = 1;  // a node serves one request at a time
  ModelShape shape;
  shape.name = "m";
  shape.total_params_b = shape.active_params_b = 1;
  shape.kv = {
      .n_layer = 16, .n_head_kv = 8, .head_dim = 64, .n_ctx_train = 4096, .bytes_per_element = 2};
  spec.model_shape = shape;
  spec.plan.node_cost_per_hour = 1;
  spec.poll_interval_ms = 10;  // the gateway sees a node busy within 10 ms + 5 ms
  return spec;
}

// Two requests of a 1,000-token prompt and 64 output tokens, at 0 and 30 ms. On the roofline:
//   prefill: max(2.0328e12 FLOP / 5e8, 2.0655e9 B / 1.4e6) + 100 = 4,166 µs (the first token)
//   decode:  max(~2.07e9 / 5e8, (2e9 + 32,768 x ~1,032) B / 1.4e6) + 100 = ~1,553 µs a token
//   busy:    4,166 + 63 x ~1,553 = 101,984 µs per request (the twin's sum of its 64 steps).
// One node (max_running 1): the second request reaches it at 35 ms and waits until the first
// ends at 5,000 + 101,984 µs; its prefill ends at 111,150 and the token is back at 116,150:
// TTFT 86,150 µs > the 50 ms SLO, so attainment is 1/2. Two nodes: the gateway has seen the
// first node busy (polled every 10 ms), each request has its own node, TTFT = 10 + 4.166 =
// 14.2 ms: attainment 1. So the plan needs exactly two nodes, and both go to the cheap site (same
// capital, a tenth of the energy price).
std::vector<SimRequest> TwoRequests() {
  SimRequest a;
  a.input_tokens = 1000;
  a.output_tokens = 64;
  SimRequest b = a;
  b.arrival_us = 30'000;
  return {a, b};
}

FleetPlanOptions Options() {
  FleetPlanOptions options;
  options.slo_attainment = 0.99;
  options.sim.policy = "least-load";
  options.sim.seed = 7;
  return options;
}

TEST(FleetPlanTest, DemandOneNodeCannotServePicksTwoNodesOfTheCheaperSite) {
  const fleet::FleetConfig config = TwoSiteFleet();
  auto plan = PlanFleet(config, OneAtATimeSpec(), TwoRequests(), Options());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->groups.size(), 2u);
  EXPECT_EQ(plan->groups[0].site, "cheap");
  EXPECT_EQ(plan->groups[0].max, 4);  // the fleet file's 1 x the default max_factor 4
  EXPECT_TRUE(plan->feasible);
  EXPECT_EQ(plan->best.counts, (std::vector<int32_t>{2, 0}));
  EXPECT_DOUBLE_EQ(plan->best.attainment, 1.0);
  EXPECT_DOUBLE_EQ(plan->best.capital_cost_per_day, 2 * 24.0);
  // Never worse than the trivial all-max plan.
  EXPECT_EQ(plan->all_max.counts, (std::vector<int32_t>{4, 4}));
  EXPECT_TRUE(plan->all_max.meets);
  EXPECT_LT(plan->best.cost_per_day, plan->all_max.cost_per_day);
  EXPECT_GT(plan->best.cost_per_mtok, 0);
}

TEST(FleetPlanTest, OneNodeMissesTheTargetAsWorkedOut) {
  const fleet::FleetConfig config = TwoSiteFleet();
  SimWorkloadSpec spec = OneAtATimeSpec();
  auto groups = MakePlanGroups(config, spec);
  ASSERT_TRUE(groups.ok()) << groups.status();
  auto fleet = FleetWithCounts(config, *groups, {1, 0}, &spec);
  ASSERT_TRUE(fleet.ok()) << fleet.status();
  auto sim = Simulation::Create(*fleet, spec, TwoRequests(), Options().sim);
  ASSERT_TRUE(sim.ok()) << sim.status();
  const SimResult result = (*sim)->Run();
  ASSERT_EQ(result.outcomes.size(), 2u);
  const RequestOutcome& second = result.outcomes[1];
  EXPECT_EQ(second.first_token_us - second.arrival_us, 86'150);
  EXPECT_DOUBLE_EQ(Summarize(result, **fleet, spec).all.slo_attainment, 0.5);
}

TEST(FleetPlanTest, SpecBoundsForceANodeAtTheDearSite) {
  auto parsed = ParseWorkloadSpec(R"(
[plan]
node_cost_per_hour = 1
max_factor = 2
[[plan.groups]]
site = "dear"
min = 1
)",
                                  "spec");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  SimWorkloadSpec spec = OneAtATimeSpec();
  spec.plan = parsed->plan;
  auto plan = PlanFleet(TwoSiteFleet(), spec, TwoRequests(), Options());
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->groups[1].min, 1);
  EXPECT_EQ(plan->groups[0].max, 2);
  EXPECT_EQ(plan->best.counts, (std::vector<int32_t>{1, 1}));
}

TEST(FleetPlanTest, BoundsOnAnUnknownSiteAreAnError) {
  SimWorkloadSpec spec = OneAtATimeSpec();
  PlanGroupBounds moon;
  moon.site = "moon";
  spec.plan.groups.push_back(moon);
  EXPECT_FALSE(MakePlanGroups(TwoSiteFleet(), spec).ok());
}

}  // namespace
}  // namespace tokenfab::sim
