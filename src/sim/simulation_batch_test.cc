// Batch work in the twin: the valley filler's release and the tenants' fair share on simulated
// time, over the example fleet (hub-west cheapest and greenest, then coast-east, then edge-sg).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/sim/sim_report.h"
#include "tokenfab/sim/sim_workload.h"
#include "tokenfab/sim/simulation.h"
#include "testing/example_fleet.h"

namespace tokenfab::sim {
namespace {

using testing::ExampleFleet;

// The example workload (60 s of arrivals) with `batches` (TOML tier tables) added.
SimWorkloadSpec SpecWith(const std::string& batches) {
  std::ifstream in(std::string(TOKENFAB_EXAMPLES_DIR) + "/sim-workload.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n" << batches;
  auto spec = ParseWorkloadSpec(text.str(), "test");
  TF_CHECK(spec.ok()) << spec.status().ToString();
  spec->duration_s = 60;
  return *spec;
}

struct BatchRun {
  SimWorkloadSpec spec;
  SimResult result;
  PolicyReport report;
};

BatchRun Simulate(const std::string& batches) {
  BatchRun run{SpecWith(batches), {}, {}};
  auto config = ExampleFleet();
  base::Random random(7);
  auto plan = PlanSyntheticWorkload(run.spec, {}, random);
  TF_CHECK(plan.ok());
  SimOptions options;
  options.policy = "cost-slo";
  options.seed = 7;
  auto sim = Simulation::Create(config, run.spec, *std::move(plan), options);
  TF_CHECK(sim.ok()) << sim.status().ToString();
  run.result = (*sim)->Run();
  run.report = Summarize(run.result, *config, run.spec);
  return run;
}

uint32_t TierIndex(const SimWorkloadSpec& spec, std::string_view name) {
  for (uint32_t t = 0; t < spec.tiers.size(); ++t) {
    if (spec.tiers[t].tier.name == name) return t;
  }
  TF_CHECK(false) << "no tier " << name;
  return 0;
}

TEST(SimulationBatchTest, ABatchFillsTheCheapestSiteWithinItsWindowAndKeepsPremiumSlo) {
  const BatchRun run = Simulate(R"(
[[tiers]]
name = "eval"
batch_lines = 400
window_s = 300
input = "lognormal:1000:0.9"
output = "lognormal:200:0.8"
)");
  const uint32_t eval = TierIndex(run.spec, "eval");
  const TierReport& batch = run.report.tiers[eval];
  EXPECT_EQ(batch.requests, 400);
  EXPECT_EQ(batch.completed, 400);
  EXPECT_EQ(batch.within_window, 400);
  // Released to the cheapest site with margin: hub-west (upstream 0) takes most of the lines.
  int64_t at_hub = 0;
  for (const RequestOutcome& o : run.result.outcomes) {
    if (o.tier == eval && o.upstream == 0) ++at_hub;
  }
  EXPECT_GT(at_hub, 300);
  const TierReport& premium = run.report.tiers[TierIndex(run.spec, "premium")];
  EXPECT_GE(premium.slo_attainment, 0.99);
  // Batch tokens ride in full steps at the cheapest site: cheaper per token than interactive.
  EXPECT_LT(batch.energy_cost_per_mtok, 0.6 * premium.energy_cost_per_mtok);
}

TEST(SimulationBatchTest, ASmallTenantsBatchIsNotQueuedBehindABigOne) {
  // Both submitted at 0; the big one is listed first. Sharing by tokens, the small one's lines
  // run beside the big one's from the start: it is done long before the big one's median line.
  const BatchRun run = Simulate(R"(
[[tiers]]
name = "big"
batch_lines = 1500
window_s = 3600
[[tiers]]
name = "small"
batch_lines = 30
window_s = 3600
)");
  const uint32_t big = TierIndex(run.spec, "big");
  const uint32_t small = TierIndex(run.spec, "small");
  std::vector<int64_t> big_ends;
  int64_t small_last = 0;
  for (const RequestOutcome& o : run.result.outcomes) {
    ASSERT_NE(o.end_us, -1);
    if (o.tier == big) big_ends.push_back(o.end_us);
    if (o.tier == small) small_last = std::max(small_last, o.end_us);
  }
  ASSERT_EQ(big_ends.size(), 1500u);
  std::nth_element(big_ends.begin(), big_ends.begin() + 750, big_ends.end());
  EXPECT_LT(small_last, big_ends[750]);
  EXPECT_EQ(run.report.tiers[small].within_window, 30);
  EXPECT_EQ(run.report.tiers[big].within_window, 1500);
}

TEST(SimulationBatchTest, ASiteBackFromAnOutageTakesBatchLinesAgain) {
  // With the fleet's slots as the cap, the coast fills with lines, goes down under that load
  // and is back at 10 s with nothing running. What its node measured last (the TPOT of the
  // loaded batch it lost, over the premium 50 ms) is no prediction for an idle node: it takes
  // lines again rather than staying idle to the end.
  const BatchRun run = Simulate(R"(
[[tiers]]
name = "eval"
batch_lines = 3000
window_s = 3600
[[events]]
at_s = 5
action = "down"
upstream = "coast-node-1"
[[events]]
at_s = 10
action = "up"
upstream = "coast-node-1"
[gateway]
max_batch_in_flight = 0
)");
  const uint32_t eval = TierIndex(run.spec, "eval");
  int64_t after = 0;  // eval lines the coast (upstream 1) served from its return on
  for (const RequestOutcome& o : run.result.outcomes) {
    if (o.tier == eval && o.upstream == 1 && o.end == RequestOutcome::End::kCompleted &&
        o.first_token_us >= 10'000'000) {
      ++after;
    }
  }
  // Its first release back (half its 256 slots: 09:00 is a peak hour there); none before.
  EXPECT_GT(after, 100);
}

}  // namespace
}  // namespace tokenfab::sim
