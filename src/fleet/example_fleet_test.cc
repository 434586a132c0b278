// The example fleet in examples/ must load and say what its README says it does.
#include <gtest/gtest.h>

#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::fleet {
namespace {

class ExampleFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto config = LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
    ASSERT_TRUE(config.ok()) << config.status();
    config_ = std::make_unique<FleetConfig>(*std::move(config));
  }
  const Site& SiteNamed(std::string_view name) {
    return config_->sites()[*config_->FindSite(name)];
  }

  std::unique_ptr<FleetConfig> config_;
};

TEST_F(ExampleFleetTest, HasThreeRegionsSitesAndUpstreams) {
  EXPECT_EQ(config_->currency(), "CNY");
  EXPECT_EQ(config_->regions().size(), 3u);
  EXPECT_EQ(config_->sites().size(), 3u);
  EXPECT_EQ(config_->upstreams().size(), 3u);
  EXPECT_EQ(config_->RegionsForResidency("cn").size(), 2u);
  EXPECT_EQ(config_->RegionsForResidency("sg").size(), 1u);
  for (const Upstream& up : config_->upstreams()) {
    EXPECT_EQ(up.url.host, "127.0.0.1") << up.name;  // runnable locally
    EXPECT_TRUE(up.ServesModel("tokenfab-demo")) << up.name;
    EXPECT_GT(up.decode_wh_per_token, 0) << up.name;
  }
  // Every model the upstreams serve names its vocabulary.
  ASSERT_NE(config_->FindModel("tokenfab-demo"), nullptr);
  EXPECT_EQ(config_->FindModel("tokenfab-demo")->vocab, "llama3");
  ASSERT_NE(config_->FindModel("qwen3-8b"), nullptr);
  EXPECT_EQ(config_->FindModel("qwen3-8b")->vocab, "qwen3");
}

TEST_F(ExampleFleetTest, HubMatchesTheBrief) {
  const Site& hub = SiteNamed("hub-west");
  EXPECT_NEAR(hub.energy.prices.Mean(), 0.398, 1e-9);
  EXPECT_EQ(hub.energy.pue, 1.2);
  EXPECT_EQ(hub.energy.green_share, 0.55);
  EXPECT_GE(hub.network.rtt_ms, 10);
  EXPECT_LE(hub.network.rtt_ms, 15);
  EXPECT_LT(hub.network.jitter_ms, 0.05);
  // Cheaper at night than in the evening peak.
  EXPECT_LT(hub.energy.prices.AtHour(3), hub.energy.prices.AtHour(19));
}

TEST_F(ExampleFleetTest, CoastIs35To45PercentDearerEveryHourAndNearTheUsers) {
  const Site& hub = SiteNamed("hub-west");
  const Site& coast = SiteNamed("coast-east");
  for (int h = 0; h < kHoursPerDay; ++h) {
    const double ratio = coast.energy.prices.AtHour(h) / hub.energy.prices.AtHour(h);
    EXPECT_GE(ratio, 1.35) << "hour " << h;
    EXPECT_LE(ratio, 1.45) << "hour " << h;
  }
  EXPECT_GE(coast.network.rtt_ms, 1);
  EXPECT_LE(coast.network.rtt_ms, 2);
}

TEST_F(ExampleFleetTest, EdgeCostsOverTwiceTheHubEveryHour) {
  const Site& hub = SiteNamed("hub-west");
  const Site& edge = SiteNamed("edge-sg");
  EXPECT_EQ(edge.energy.currency, "USD");
  for (int h = 0; h < kHoursPerDay; ++h) {
    const int64_t wall = int64_t{h} * 3'600'000'000 - int64_t{8} * 3'600'000'000;  // local hour h
    EXPECT_GT(PriceAt(edge.energy, edge.utc_offset_minutes, wall),
              2 * PriceAt(hub.energy, hub.utc_offset_minutes, wall))
        << "hour " << h;
  }
}

}  // namespace
}  // namespace tokenfab::fleet
