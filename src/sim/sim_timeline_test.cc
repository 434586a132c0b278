// The timeline's drains and price changes (sim_timeline.cc), and their workload-spec syntax.
#include <gtest/gtest.h>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/sim/simulation.h"
#include "testing/example_fleet.h"

namespace tokenfab::sim {
namespace {

using Action = TimelineEvent::Action;

TEST(TimelineSpecTest, DrainAndPriceEventsParse) {
  auto spec = ParseWorkloadSpec(R"(
[[events]]
at_s = 10
action = "drain"
upstream = "hub-node-1"
[[events]]
at_s = 20
action = "price"
site = "hub-west"
price_factor = 2.5
[[events]]
at_s = 30
action = "price"
site = "coast-east"
price = 0.9
)",
                                "t.toml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->events.size(), 3u);
  EXPECT_EQ(spec->events[0].action, Action::kDrain);
  EXPECT_EQ(spec->events[0].upstream, "hub-node-1");
  EXPECT_EQ(spec->events[1].action, Action::kPrice);
  EXPECT_EQ(spec->events[1].price_factor, 2.5);
  EXPECT_LT(spec->events[1].price, 0);
  EXPECT_EQ(spec->events[2].price, 0.9);
}

TEST(TimelineSpecTest, APriceChangeNeedsASiteAndExactlyOnePrice) {
  for (const char* bad : {
           "[[events]]\nat_s = 1\naction = \"price\"\nupstream = \"n\"\nprice = 1\n",
           "[[events]]\nat_s = 1\naction = \"price\"\nsite = \"s\"\n",
           "[[events]]\nat_s = 1\naction = \"price\"\nsite = \"s\"\nprice = 1\nprice_factor = 2\n",
           "[[events]]\nat_s = 1\naction = \"down\"\nsite = \"s\"\nprice = 1\n",
           "[[events]]\nat_s = 1\naction = \"pause\"\nsite = \"s\"\n",
       }) {
    EXPECT_FALSE(ParseWorkloadSpec(bad, "t.toml").ok()) << bad;
  }
}

using testing::ExampleFleet;

// hub-node-1 (upstream 0, the least-loaded choice at twice the others' weight) drains from 20 s
// to 40 s. A drain is not a failure: whatever was routed to it before 20 s completes there, the
// requests it was running at 20 s included; nothing is routed to it while drained; it takes
// requests again once back.
TEST(TimelineTest, ADrainedNodeGetsNoNewRequestAndFinishesWhatItHas) {
  auto spec = LoadWorkloadSpec(std::string(TOKENFAB_EXAMPLES_DIR) + "/sim-workload.toml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->duration_s = 60;
  TimelineEvent drain;
  drain.at_s = 20;
  drain.action = Action::kDrain;
  drain.upstream = "hub-node-1";
  TimelineEvent up = drain;
  up.at_s = 40;
  up.action = Action::kUp;
  spec->events = {drain, up};
  base::Random random(7);
  auto plan = PlanSyntheticWorkload(*spec, {2.0, 0}, random);
  ASSERT_TRUE(plan.ok());
  SimOptions options;
  options.policy = "least-load";
  options.seed = 7;
  auto sim = Simulation::Create(ExampleFleet(), *spec, *std::move(plan), options);
  ASSERT_TRUE(sim.ok()) << sim.status();
  const SimResult result = (*sim)->Run();
  int before = 0, running_at_drain = 0, while_drained = 0, after = 0, elsewhere_drained = 0;
  for (const RequestOutcome& o : result.outcomes) {
    EXPECT_EQ(o.ends, 1);
    EXPECT_NE(o.end, RequestOutcome::End::kPending);
    EXPECT_NE(o.end, RequestOutcome::End::kUnfinished);
    const bool drained = o.arrival_us >= 20'000'000 && o.arrival_us < 40'000'000;
    if (drained && o.end == RequestOutcome::End::kCompleted) ++elsewhere_drained;
    if (o.upstream != 0) continue;
    if (o.arrival_us < 20'000'000) {
      ++before;
      EXPECT_EQ(o.end, RequestOutcome::End::kCompleted) << "arrived at " << o.arrival_us;
      if (o.end_us > 20'000'000) ++running_at_drain;
    }
    if (drained) ++while_drained;
    if (o.arrival_us >= 40'000'000) ++after;
  }
  EXPECT_GT(before, 0);
  EXPECT_GT(running_at_drain, 0);
  EXPECT_EQ(while_drained, 0);
  EXPECT_GT(elsewhere_drained, 0);  // the others served the drained window
  EXPECT_GT(after, 0);
  for (const NodeResult& node : result.nodes) EXPECT_EQ(node.kv_blocks_used_at_end, 0);
}

// One node at site "s": a flat 0.4 per kWh, PUE 1, 100 W idle and 500 W busy.
std::shared_ptr<const fleet::FleetConfig> OneNodeFleet() {
  fleet::FleetSpec fleet;
  fleet.currency = "CNY";
  fleet::Region region;
  region.name = "r";
  fleet.regions = {region};
  fleet::Site site;
  site.name = "s";
  site.region = "r";
  site.energy.prices = fleet::PriceSchedule::Flat(0.4);
  site.energy.currency = "CNY";
  fleet.sites = {site};
  fleet::Upstream node;
  node.name = "n";
  auto url = net::ParseHttpUrl("http://127.0.0.1:1");
  TF_CHECK(url.ok());
  node.url = *url;
  node.models = {"qwen3-8b"};
  node.site = "s";
  node.hardware.count = 1;
  node.hardware.peak_tflops = 1000;
  node.hardware.mem_bandwidth_gbps = 2000;
  node.hardware.power_idle_w = 100;
  node.hardware.power_max_w = 500;
  fleet.upstreams = {node};
  auto config = fleet::FleetConfig::Create(fleet);
  TF_CHECK(config.ok()) << config.status().ToString();
  return std::make_shared<const fleet::FleetConfig>(*std::move(config));
}

// Runs `plan` on OneNodeFleet with `events` for 200 s (a last, no-op event ends the run there);
// every step takes 1 ms (a measured profile of base = 1000 µs). Returns the node's figures.
NodeResult RunOneNode(std::vector<TimelineEvent> events, std::vector<SimRequest> plan) {
  SimWorkloadSpec spec;
  spec.model = "qwen3-8b";
  spec.duration_s = 1;
  spec.node.memory_gib = 24;  // a small KV pool: 24 x 0.9 GiB less 16.4 GB of weights
  spec.tiers = {DefaultTier()};
  spec.profiles["n"] = engine::PerformanceModel{.base_us = 1000};
  TimelineEvent end;
  end.at_s = 200;
  end.action = Action::kUp;
  end.site = "s";
  events.push_back(end);
  spec.events = std::move(events);
  auto sim = Simulation::Create(OneNodeFleet(), spec, std::move(plan), {});
  TF_CHECK(sim.ok()) << sim.status().ToString();
  SimResult result = (*sim)->Run();
  TF_CHECK(result.end_us == 200'000'000) << result.end_us;
  return std::move(result.nodes[0]);
}

TimelineEvent TriplePriceAt100s() {
  TimelineEvent price;
  price.at_s = 100;
  price.action = Action::kPrice;
  price.site = "s";
  price.price_factor = 3;
  return price;
}

// The node idle for 200 s; at 100 s the price triples: 100 s x 100 W = 2.7778 Wh at 0.4 and as
// much at 1.2, 0.0044444 in all (0.0022222 at 0.4 throughout; 0.0066667 if the whole span took
// the new price).
TEST(TimelineTest, APriceChangeReachesTheEnergyAccountAtItsTime) {
  EXPECT_NEAR(RunOneNode({}, {}).cost, 0.0022222, 1e-6);
  TimelineEvent price = TriplePriceAt100s();
  EXPECT_NEAR(RunOneNode({price}, {}).cost, 0.0044444, 1e-6);
  price.price_factor = -1;
  price.price = 0.4;  // a flat price equal to the old one changes nothing
  EXPECT_NEAR(RunOneNode({price}, {}).cost, 0.0022222, 1e-6);
}

// Two requests of 16 + 1000 tokens, at 10 s and at 150 s: each runs 1000 steps of 1 ms (one
// prefill, 999 decodes), 1 s at 500 W, 400 W above idle: 0.11111 Wh over its idle cost. At 0.4
// throughout they add 2 x 0.11111 Wh x 0.4 = 8.8889e-5 to the idle run's cost, 4.3745e-8 per
// token (of 1016 each); with the price tripled at 100 s, the second costs three times the first:
// 0.11111 Wh x (0.4 + 1.2) = 1.7778e-4, the second's tokens 1.3123e-7 each.
TEST(TimelineTest, APriceChangeTriplesTheEnergyCostOfTokensServedAfterIt) {
  std::vector<SimRequest> plan(2);
  for (SimRequest& request : plan) {
    request.input_tokens = 16;
    request.output_tokens = 1000;
  }
  plan[0].arrival_us = 10'000'000;
  plan[1].arrival_us = 150'000'000;
  const NodeResult flat = RunOneNode({}, plan);
  ASSERT_EQ(flat.generated_tokens, 2000);
  ASSERT_EQ(flat.busy_us, 2'000'000);
  EXPECT_NEAR(flat.cost - RunOneNode({}, {}).cost, 8.8888889e-5, 1e-11);
  const NodeResult changed = RunOneNode({TriplePriceAt100s()}, plan);
  ASSERT_EQ(changed.busy_us, 2'000'000);
  const double served = changed.cost - RunOneNode({TriplePriceAt100s()}, {}).cost;
  EXPECT_NEAR(served, 1.7777778e-4, 1e-11);
  // Per token: the first request's share is the flat run's half.
  EXPECT_NEAR((served - (flat.cost - RunOneNode({}, {}).cost) / 2) / 1016, 1.312336e-7, 1e-12);
}

}  // namespace
}  // namespace tokenfab::sim
