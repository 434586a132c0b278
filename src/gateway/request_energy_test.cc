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
  // Each GPU at 1/64 of the way from idle to max: 90 + 610 / 64 = 99.53125 W; 8 GPUs: 796.25 W,
  // all of it this request's for one hour: 796.25 Wh. PUE 1.2: 955.5 Wh drawn. 0.9555 kWh at
  // 250 g/kWh: 238.875 g.
  EXPECT_NEAR(e.it_wh, 796.25, 1e-9);
  EXPECT_NEAR(e.facility_wh, 955.5, 1e-9);
  EXPECT_NEAR(e.carbon_g, 238.875, 1e-9);
}

TEST_F(RequestEnergyTest, FullBatchSplitsFullPower) {
  fleet::UpstreamState busy;
  busy.running = 63;
  const RequestEnergy e = EstimateRequestEnergy(*config_, hub_, busy, 64, 3'600'000'000);
  EXPECT_DOUBLE_EQ(e.utilisation, 1.0);
  EXPECT_EQ(e.sharing, 64);
  // 8 GPUs at 700 W for an hour, 5600 Wh, shared by 64 requests: 87.5 Wh each; together the 64
  // shares add up to the machine's hour.
  EXPECT_NEAR(e.it_wh, 87.5, 1e-9);
  EXPECT_NEAR(e.it_wh * e.sharing, 5600, 1e-9);
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
  // Half way from idle to max: 90 + 305 = 395 W a GPU, 3160 W for 8, shared by 4: 790 W for one
  // second, 790 J = 0.219444... Wh.
  EXPECT_NEAR(e.it_wh, 0.2194444444, 1e-10);
  EXPECT_EQ(EstimateRequestEnergy(*config_, hub_, s, 0, 0).it_wh, 0);
}

}  // namespace
}  // namespace tokenfab::gateway
