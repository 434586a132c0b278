#include "tokenfab/sim/workload_spec.h"

#include <gtest/gtest.h>

#include "tokenfab/sim/sim_workload.h"

namespace tokenfab::sim {
namespace {

TEST(WorkloadSpecTest, TheExampleSpecParses) {
  auto spec = LoadWorkloadSpec(std::string(TOKENFAB_EXAMPLES_DIR) + "/sim-workload.toml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->model, "qwen3-8b");
  ASSERT_EQ(spec->tiers.size(), 2u);
  EXPECT_EQ(spec->tiers[0].tier.name, "premium");
  EXPECT_EQ(spec->tiers[0].tier.ttft_slo_ms, 500);
  EXPECT_EQ(spec->tiers[0].shared_prefix_blocks, 2);
  EXPECT_EQ(spec->tiers[1].tier.limits.rpm, 100000);
  EXPECT_EQ(spec->diurnal.size(), 24u);
  EXPECT_EQ(spec->start_utc_hour, 1);
  EXPECT_TRUE(spec->Shape().ok());
}

TEST(WorkloadSpecTest, AMisspeltKeyIsAnErrorNamingItsLine) {
  auto spec = ParseWorkloadSpec("model = \"qwen3-8b\"\n[arrivals]\nrat = 3\n", "w.toml");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(std::string(spec.status().message()).find("w.toml:3"), std::string::npos)
      << spec.status();
}

TEST(WorkloadSpecTest, DiurnalCurveThinsArrivals) {
  auto spec = ParseWorkloadSpec(R"(
duration_s = 7200
[arrivals]
rate = 10
[diurnal]
hourly = [1, 0.25, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
)",
                                "d.toml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  base::Random random(3);
  auto plan = PlanSyntheticWorkload(*spec, {}, random);
  ASSERT_TRUE(plan.ok());
  int64_t first = 0, second = 0;
  for (const SimRequest& r : *plan) (r.arrival_us < 3'600'000'000 ? first : second)++;
  // 36,000 expected in the first hour, 9,000 in the second (Poisson: deviations of ~1 %).
  EXPECT_NEAR(first, 36000, 1000);
  EXPECT_NEAR(second, 9000, 500);
}

}  // namespace
}  // namespace tokenfab::sim
