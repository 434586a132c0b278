#include "tokenfab/sim/step_profile.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>

#include "tokenfab/base/random.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/sim/sim_report.h"
#include "tokenfab/sim/sim_workload.h"
#include "tokenfab/sim/simulation.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {
namespace {

engine::CalibrationResult Measured() {
  engine::CalibrationResult result;
  // Coefficients with no short decimal form, so a lossy write would change the step times.
  result.model.base_us = 1000.0 / 3.0;
  result.model.per_prefill_token_us = 0.1 + 0.2;
  result.model.per_decode_sequence_us = 17.0 / 7.0;
  result.model.per_kv_token_us = 1e-3 / 3.0;
  result.points.push_back({512, 0, 131328, 2345.5});
  result.max_relative_error = 0.042;
  return result;
}

TEST(StepProfileTest, AProfileWrittenThenReadGivesTheSameStepTimes) {
  const engine::CalibrationResult result = Measured();
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/step_profile_test.json";
  ASSERT_TRUE(WriteStepProfile(path, result, "model.gguf").ok());
  auto read = LoadStepProfile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  for (const auto& [prefill, decode, kv] : {std::tuple<int64_t, int64_t, int64_t>{512, 0, 131328},
                                            {0, 32, 65536},
                                            {7, 3, 999},
                                            {1, 0, 1}}) {
    EXPECT_EQ(read->StepMicros(prefill, decode, kv), result.model.StepMicros(prefill, decode, kv));
  }

  // The workload spec's [profiles] takes the file, relative to the spec's directory.
  const std::string spec_path = dir + "/step_profile_spec.toml";
  std::ofstream(spec_path) << "[profiles]\n\"node-a\" = \"step_profile_test.json\"\n";
  auto spec = LoadWorkloadSpec(spec_path);
  ASSERT_TRUE(spec.ok()) << spec.status();
  ASSERT_EQ(spec->profiles.count("node-a"), 1u);
  EXPECT_EQ(spec->profiles.at("node-a").StepMicros(100, 8, 4000),
            result.model.StepMicros(100, 8, 4000));
}

TEST(StepProfileTest, RejectsWhatIsNotAProfile) {
  EXPECT_FALSE(ParseStepProfile("{}").ok());
  EXPECT_FALSE(ParseStepProfile("not json").ok());
  EXPECT_FALSE(ParseStepProfile(R"({"format":"tokenfab-step-profile","model":{"base_us":1}})")
                   .ok());  // missing coefficients
  EXPECT_FALSE(ParseStepProfile(R"({"format":"tokenfab-step-profile","model":{"base_us":-1,)"
                                R"("per_prefill_token_us":0,"per_decode_sequence_us":0,)"
                                R"("per_kv_token_us":0}})")
                   .ok());  // negative
  EXPECT_EQ(LoadStepProfile("/nonexistent/profile.json").status().code(),
            absl::StatusCode::kNotFound);
}

// The example fleet and workload for 20 simulated seconds, as JSON (wall-clock figures fixed).
std::string RunJson(const fleet::FleetConfig& fleet, const SimWorkloadSpec& spec) {
  auto config = std::make_shared<const fleet::FleetConfig>(fleet);
  base::Random random(3);
  auto plan = PlanSyntheticWorkload(spec, {1.0, 0}, random);
  EXPECT_TRUE(plan.ok());
  SimOptions options;
  options.seed = 3;
  auto sim = Simulation::Create(config, spec, *std::move(plan), options);
  EXPECT_TRUE(sim.ok()) << sim.status();
  if (!sim.ok()) return "";
  PolicyReport report = Summarize((*sim)->Run(), *config, spec);
  report.wall_s = 1;
  return FormatJson({report});
}

// `profile = "path"` on a fleet file's upstream (relative to the file) gives the twin the same
// node as the workload spec's [profiles] entry with that model, and not the roofline.
TEST(StepProfileTest, TheFleetFilesProfileKeyReplacesTheUpstreamsRoofline) {
  const std::string dir = ::testing::TempDir();
  engine::CalibrationResult measured;
  measured.model.base_us = 40'000;  // far slower than the roofline's node
  measured.model.per_prefill_token_us = 50;
  measured.model.per_decode_sequence_us = 500;
  ASSERT_TRUE(WriteStepProfile(dir + "/hub_profile.json", measured, "test").ok());
  std::ifstream in(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  std::stringstream text;
  text << in.rdbuf();
  std::string fleet_text = text.str();
  const std::string anchor = "name = \"hub-node-1\"\n";
  ASSERT_NE(fleet_text.find(anchor), std::string::npos);
  fleet_text.insert(fleet_text.find(anchor) + anchor.size(), "profile = \"hub_profile.json\"\n");
  std::ofstream(dir + "/fleet_with_profile.toml") << fleet_text;

  auto with_profile = fleet::LoadFleetConfig(dir + "/fleet_with_profile.toml");
  ASSERT_TRUE(with_profile.ok()) << with_profile.status();
  auto plain =
      fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(with_profile->upstreams()[0].profile,
            (std::filesystem::path(dir) / "hub_profile.json").string());

  auto spec = LoadWorkloadSpec(std::string(TOKENFAB_EXAMPLES_DIR) + "/sim-workload.toml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->duration_s = 20;
  const std::string roofline = RunJson(*plain, *spec);
  const std::string from_fleet = RunJson(*with_profile, *spec);
  spec->profiles["hub-node-1"] = measured.model;
  const std::string from_spec = RunJson(*plain, *spec);
  EXPECT_EQ(from_fleet, from_spec);
  EXPECT_NE(from_fleet, roofline);
}

}  // namespace
}  // namespace tokenfab::sim
