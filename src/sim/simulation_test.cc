#include "tokenfab/sim/simulation.h"

#include <gtest/gtest.h>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/sim/sim_report.h"
#include "testing/example_fleet.h"

namespace tokenfab::sim {
namespace {

using testing::ExampleFleet;

SimWorkloadSpec ExampleSpec(double duration_s) {
  auto spec = LoadWorkloadSpec(std::string(TOKENFAB_EXAMPLES_DIR) + "/sim-workload.toml");
  TF_CHECK(spec.ok()) << spec.status().ToString();
  spec->duration_s = duration_s;
  return *spec;
}

SimResult RunExample(const std::string& policy, uint64_t seed, bool exact, double duration_s,
                     double rate_scale = 1.0) {
  auto config = ExampleFleet();
  const SimWorkloadSpec spec = ExampleSpec(duration_s);
  base::Random random(seed);
  auto plan = PlanSyntheticWorkload(spec, {rate_scale, 0}, random);
  TF_CHECK(plan.ok());
  SimOptions options;
  options.policy = policy;
  options.seed = seed;
  options.exact_steps = exact;
  auto sim = Simulation::Create(config, spec, *std::move(plan), options);
  TF_CHECK(sim.ok()) << sim.status().ToString();
  return (*sim)->Run();
}

std::string Json(SimResult result) {
  auto config = ExampleFleet();
  PolicyReport report = Summarize(result, *config, ExampleSpec(60));
  report.wall_s = 1;  // the only wall-clock input
  return FormatJson({report});
}

// One node, one request, hand-worked. The node: one device of 1000 TFLOP/s and 2000 GB/s
// (achieved: x0.5 = 5e8 FLOP/µs, x0.7 = 1.4e6 B/µs), a dense 1B-parameter model in 2-byte
// weights, 16 layers x 8 KV heads x 64 x 2 (K, V) x 2 B = 32,768 KV bytes per token. The site is
// 10 ms away (no jitter, no loss). A 1,000-token prompt prefills in one step:
//   FLOPs  = 2 x 1e9 x 1000 (weights) + 2 x 32,768 x 500,500 (attention: token j attends to
//            j positions, sum 1..1000 = 500,500) = 2e12 + 3.28e10 = 2.0328e12 -> 4,065.6 µs
//   bytes  = 2e9 (weights) + 32,768 x (1000 read + 1000 written) = 2.0655e9 -> 1,475.4 µs
//   step   = max(4,065.6, 1,475.4) + 100 overhead = 4,165.6 -> 4,166 µs
// The request reaches the node after 5 ms, its first token comes back 5 ms after that step:
//   TTFT = 10,000 + 4,166 = 14,166 µs.
TEST(SimulationTest, OneRequestTtftIsRttPlusRooflinePrefill) {
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
  fleet::Upstream up;
  up.name = "n";
  auto url = net::ParseHttpUrl("http://127.0.0.1:1");
  ASSERT_TRUE(url.ok());
  up.url = *url;
  up.models = {"m"};
  up.site = "s";
  up.hardware.peak_tflops = 1000;
  up.hardware.mem_bandwidth_gbps = 2000;
  up.hardware.power_idle_w = 100;
  up.hardware.power_max_w = 500;
  fleet.upstreams = {up};
  fleet::NetworkLink link;
  link.site = "s";
  link.path.configured = true;
  link.path.rtt_ms = 10;
  fleet.network = {link};
  auto config = fleet::FleetConfig::Create(fleet);
  ASSERT_TRUE(config.ok()) << config.status();
  SimWorkloadSpec spec;
  spec.model = "m";
  spec.tiers = {DefaultTier()};
  ModelShape shape;
  shape.name = "m";
  shape.total_params_b = shape.active_params_b = 1;
  shape.kv = {
      .n_layer = 16, .n_head_kv = 8, .head_dim = 64, .n_ctx_train = 4096, .bytes_per_element = 2};
  spec.model_shape = shape;
  SimRequest request;
  request.input_tokens = 1000;
  request.output_tokens = 3;
  std::vector<SimRequest> plan = {request};
  auto sim = Simulation::Create(std::make_shared<const fleet::FleetConfig>(*std::move(config)),
                                spec, plan, {});
  ASSERT_TRUE(sim.ok()) << sim.status();
  const SimResult result = (*sim)->Run();
  ASSERT_EQ(result.outcomes.size(), 1u);
  const RequestOutcome& o = result.outcomes[0];
  EXPECT_EQ(o.end, RequestOutcome::End::kCompleted);
  EXPECT_EQ(o.first_token_us - o.arrival_us, 14'166);
  EXPECT_EQ(o.generated_tokens, 3);
}

TEST(SimulationTest, SameSeedGivesByteIdenticalJson) {
  const std::string a = Json(RunExample("", 5, false, 30));
  const std::string b = Json(RunExample("", 5, false, 30));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, Json(RunExample("", 6, false, 30)));  // the seed matters
}

TEST(SimulationTest, EveryRequestEndsOnceAndKvBlocksAreAllReturned) {
  const SimResult result = RunExample("least-load", 3, false, 60, 2.0);
  ASSERT_GT(result.outcomes.size(), 500u);
  int64_t completed = 0;
  for (const RequestOutcome& o : result.outcomes) {
    EXPECT_EQ(o.ends, 1);
    EXPECT_NE(o.end, RequestOutcome::End::kPending);
    EXPECT_NE(o.end, RequestOutcome::End::kUnfinished);
    if (o.end == RequestOutcome::End::kCompleted) ++completed;
  }
  EXPECT_EQ(completed, static_cast<int64_t>(result.outcomes.size()));
  int64_t generated = 0;
  for (const NodeResult& node : result.nodes) {
    EXPECT_EQ(node.kv_blocks_used_at_end, 0) << node.upstream;
    EXPECT_EQ(node.live_requests_at_end, 0) << node.upstream;
    generated += node.generated_tokens;
  }
  int64_t asked = 0;
  for (const RequestOutcome& o : result.outcomes) asked += o.generated_tokens;
  EXPECT_EQ(generated, asked);
}

TEST(SimulationTest, FastForwardMatchesExactStepsWithinOnePercent) {
  auto config = ExampleFleet();
  const SimWorkloadSpec spec = ExampleSpec(60);
  const PolicyReport fast = Summarize(RunExample("least-load", 9, false, 60, 3.0), *config, spec);
  const PolicyReport exact = Summarize(RunExample("least-load", 9, true, 60, 3.0), *config, spec);
  ASSERT_GT(fast.all.completed, 1000);
  auto near = [](double a, double b) { return std::abs(a - b) <= 0.01 * std::abs(b); };
  EXPECT_TRUE(near(fast.all.ttft_ms.p50, exact.all.ttft_ms.p50));
  EXPECT_TRUE(near(fast.all.ttft_ms.p90, exact.all.ttft_ms.p90));
  EXPECT_TRUE(near(fast.all.ttft_ms.p99, exact.all.ttft_ms.p99));
  EXPECT_TRUE(near(fast.all.tpot_ms.p50, exact.all.tpot_ms.p50));
  EXPECT_TRUE(near(fast.all.tpot_ms.p90, exact.all.tpot_ms.p90));
  EXPECT_TRUE(near(fast.tokens_per_s, exact.tokens_per_s));
  EXPECT_TRUE(near(fast.all.goodput_rps, exact.all.goodput_rps));
  EXPECT_LT(fast.events, exact.events);  // it did skip events
}

}  // namespace
}  // namespace tokenfab::sim

namespace tokenfab::sim {
namespace {

TEST(SimulationTest, ASiteDownFailsItsRequestsAndRoutingAvoidsItUntilItIsBack) {
  auto config = ExampleFleet();
  SimWorkloadSpec spec = ExampleSpec(60);
  TimelineEvent down;
  down.at_s = 20;
  down.site = "hub-west";
  TimelineEvent up = down;
  up.at_s = 40;
  up.action = TimelineEvent::Action::kUp;
  spec.events = {down, up};
  base::Random random(4);
  auto plan = PlanSyntheticWorkload(spec, {2.0, 0}, random);
  ASSERT_TRUE(plan.ok());
  SimOptions options;
  options.policy = "least-load";
  options.seed = 4;
  options.series_interval_s = 5;
  auto sim = Simulation::Create(config, spec, *std::move(plan), options);
  ASSERT_TRUE(sim.ok()) << sim.status();
  const SimResult result = (*sim)->Run();
  int failed_on_hub = 0, hub_while_down = 0, hub_after = 0, hub_before = 0;
  for (const RequestOutcome& o : result.outcomes) {
    EXPECT_EQ(o.ends, 1);
    if (o.upstream != 0) continue;
    if (o.end == RequestOutcome::End::kRefused) ++failed_on_hub;
    if (o.arrival_us < 20'000'000) ++hub_before;
    // Two failed polls (about 0.5 s) mark it down; two good ones bring it back.
    if (o.arrival_us >= 21'000'000 && o.arrival_us < 40'000'000) ++hub_while_down;
    if (o.arrival_us >= 41'000'000) ++hub_after;
  }
  EXPECT_GT(hub_before, 0);
  EXPECT_GT(failed_on_hub, 0);  // what it held at 20 s, and what reached it before the poll
  EXPECT_EQ(hub_while_down, 0);
  EXPECT_GT(hub_after, 0);
  for (const NodeResult& node : result.nodes) EXPECT_EQ(node.kv_blocks_used_at_end, 0);
  // hub-west's series (5 s buckets): busy before 20 s, idle over [25, 40) (a step in flight at
  // 20 s may end in [20, 25)), busy again after.
  const PolicyReport report = Summarize(result, *config, spec);
  EXPECT_EQ(report.series_interval_s, 5);
  const SiteReport& hub = report.sites[0];
  ASSERT_EQ(hub.site, "hub-west");
  ASSERT_GE(hub.compute_series.size(), 12u);
  for (size_t b : {0u, 1u, 2u, 3u, 9u, 10u}) {
    EXPECT_GT(hub.compute_series[b], 0) << b;
    EXPECT_GT(hub.tokens_per_s_series[b], 0) << b;
  }
  for (size_t b : {5u, 6u, 7u}) {
    EXPECT_EQ(hub.compute_series[b], 0) << b;
    EXPECT_EQ(hub.kv_series[b], 0) << b;
    EXPECT_EQ(hub.tokens_per_s_series[b], 0) << b;
  }
  // The other sites took the load meanwhile.
  EXPECT_GT(report.sites[1].tokens_per_s_series[6] + report.sites[2].tokens_per_s_series[6], 0);
}

}  // namespace
}  // namespace tokenfab::sim
