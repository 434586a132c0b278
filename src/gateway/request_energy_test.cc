#include "request_energy.h"

#include <gtest/gtest.h>

#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::gateway {
namespace {

class RequestEnergyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) +
                                         "/fleet-three-regions.toml");
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = std::make_unique<fleet::FleetConfig>(*std::move(config));
    hub_ = *config_->FindUpstream("hub-node-1");  // 8 GPUs, 90..700 W, PUE 1.2, 250 g/kWh
  }
  std::unique_ptr<fleet::FleetConfig> config_;
  uint32_t hub_ = 0;
};

TEST_F(RequestEnergyTest, LoneRequestCarriesTheMachinesPowerForItsServiceTime) {
  fleet::UpstreamState idle;
  const RequestEnergy e = EstimateRequestEnergy(*config_, hub_, idle, 64, 3'600'000'000);
  EXPECT_DOUBLE_EQ(e.utilisation, 1.0 / 64);
  EXPECT_EQ(e.sharing, 1);
  const double watts = 8 * (90 + 610.0 / 64);
  EXPECT_NEAR(e.it_wh, watts, 1e-9);  // one hour
  EXPECT_NEAR(e.facility_wh, watts * 1.2, 1e-9);
  EXPECT_NEAR(e.carbon_g, watts * 1.2 / 1000 * 250, 1e-9);
}

TEST_F(RequestEnergyTest, FullBatchSplitsFullPower) {
  fleet::UpstreamState busy;
  busy.running = 63;
  const RequestEnergy e = EstimateRequestEnergy(*config_, hub_, busy, 64, 3'600'000'000);
  EXPECT_DOUBLE_EQ(e.utilisation, 1.0);
  EXPECT_EQ(e.sharing, 64);
  EXPECT_NEAR(e.it_wh, 8 * 700.0 / 64, 1e-9);
  busy.running = 500;  // more reported than the limit: still capped
  EXPECT_EQ(EstimateRequestEnergy(*config_, hub_, busy, 64, 1).sharing, 64);
}

TEST_F(RequestEnergyTest, WithoutALimitUtilisationIsKvUse) {
  fleet::UpstreamState s;
  s.running = 3;
  s.kv_usage = 0.5;
  const RequestEnergy e = EstimateRequestEnergy(*config_, hub_, s, 0, 1'000'000);
  EXPECT_DOUBLE_EQ(e.utilisation, 0.5);
  EXPECT_EQ(e.sharing, 4);
  EXPECT_NEAR(e.it_wh, 8 * (90 + 610 * 0.5) / 4 / 3600.0, 1e-12);
  EXPECT_EQ(EstimateRequestEnergy(*config_, hub_, s, 0, 0).it_wh, 0);
}

}  // namespace
}  // namespace tokenfab::gateway
