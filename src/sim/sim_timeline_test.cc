// The timeline's drains and price changes (sim_timeline.cc), and their workload-spec syntax.
#include <gtest/gtest.h>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/sim/simulation.h"

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

std::shared_ptr<const fleet::FleetConfig> ExampleFleet() {
  auto loaded =
      fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  TF_CHECK(loaded.ok()) << loaded.status().ToString();
  return std::make_shared<const fleet::FleetConfig>(*std::move(loaded));
}

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

// One idle node at a flat 0.4 per kWh, PUE 1, 100 W idle, for 200 s (the last event, a no-op,
// ends the run). At 100 s the price triples: 100 s x 100 W = 2.7778 Wh at 0.4 and as much at 1.2,
// 0.0044444 in all (0.0022222 at 0.4 throughout; 0.0066667 if the whole span took the new price).
TEST(TimelineTest, APriceChangeReachesTheEnergyAccountAtItsTime) {
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
  ASSERT_TRUE(url.ok());
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
  ASSERT_TRUE(config.ok()) << config.status();
  auto shared = std::make_shared<const fleet::FleetConfig>(*std::move(config));
  const auto run = [&](std::vector<TimelineEvent> events) {
    SimWorkloadSpec spec;
    spec.model = "qwen3-8b";
    spec.duration_s = 1;
    spec.node.memory_gib = 24;  // a small KV pool: 24 x 0.9 GiB less 16.4 GB of weights
    spec.tiers = {DefaultTier()};
    TimelineEvent end;
    end.at_s = 200;
    end.action = Action::kUp;
    end.site = "s";
    events.push_back(end);
    spec.events = std::move(events);
    auto sim = Simulation::Create(shared, spec, {}, {});
    TF_CHECK(sim.ok()) << sim.status().ToString();
    const SimResult result = (*sim)->Run();
    TF_CHECK(result.end_us == 200'000'000) << result.end_us;
    return result.nodes[0].cost;
  };
  TimelineEvent price;
  price.at_s = 100;
  price.action = Action::kPrice;
  price.site = "s";
  price.price_factor = 3;
  EXPECT_NEAR(run({}), 0.0022222, 1e-6);
  EXPECT_NEAR(run({price}), 0.0044444, 1e-6);
  price.price_factor = -1;
  price.price = 0.4;  // a flat price equal to the old one changes nothing
  EXPECT_NEAR(run({price}), 0.0022222, 1e-6);
}

}  // namespace
}  // namespace tokenfab::sim
