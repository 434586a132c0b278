#include "tokenfab/fleet/fleet_config_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::fleet {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

FleetConfig Example() {
  auto config = LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  TF_CHECK(config.ok()) << config.status();
  return *std::move(config);
}

FleetConfig Build(FleetSpec spec) {
  auto config = FleetConfig::Create(std::move(spec));
  TF_CHECK(config.ok()) << config.status();
  return *std::move(config);
}

TEST(FleetConfigDiffTest, SameConfigHasNoChange) {
  const FleetConfig a = Example();
  const FleetConfigDiff diff = DiffFleetConfigs(a, Example());
  EXPECT_TRUE(diff.empty());
  EXPECT_EQ(diff.ToString(), "no change");
}

TEST(FleetConfigDiffTest, ReportsAddedRemovedAndChangedUpstreams) {
  const FleetConfig before = Example();
  FleetSpec spec = before.spec();
  spec.upstreams[0].url.port = 9999;       // changed
  spec.upstreams[2].name = "edge-node-2";  // removed one, added another
  spec.upstreams[2].url.port = 8104;
  const FleetConfigDiff diff = DiffFleetConfigs(before, Build(spec));
  EXPECT_THAT(diff.added_upstreams, ElementsAre("edge-node-2"));
  EXPECT_THAT(diff.removed_upstreams, ElementsAre("edge-node-1"));
  EXPECT_THAT(diff.changed_upstreams, ElementsAre("hub-node-1"));
  EXPECT_THAT(diff.changed_sites, IsEmpty());
  EXPECT_EQ(diff.ToString(), "upstreams +edge-node-2 -edge-node-1 ~hub-node-1");
}

TEST(FleetConfigDiffTest, ReordersAreNotChangesButEnergyAndNetworkAre) {
  const FleetConfig before = Example();
  FleetSpec spec = before.spec();
  std::swap(spec.sites[0], spec.sites[2]);  // indices shift; nothing really changed
  std::swap(spec.upstreams[0], spec.upstreams[1]);
  EXPECT_TRUE(DiffFleetConfigs(before, Build(spec)).empty());

  spec.sites[0].energy.pue = 1.5;    // edge-sg after the swap
  spec.network[0].path.rtt_ms = 20;  // hub-west's path
  spec.regions[1].description = "new words";
  const FleetConfigDiff diff = DiffFleetConfigs(before, Build(spec));
  EXPECT_THAT(diff.changed_sites, ElementsAre("edge-sg", "hub-west"));
  EXPECT_THAT(diff.changed_regions, ElementsAre("cn-east"));
  EXPECT_EQ(diff.ToString(), "sites ~edge-sg ~hub-west; regions ~cn-east");
}

TEST(FleetConfigDiffTest, ReportsChangedModelSources) {
  const FleetConfig before = Example();
  FleetSpec spec = before.spec();
  ASSERT_FALSE(spec.models.empty());
  spec.models[0].vocab = "gpt2";
  spec.models.push_back(ModelSource{"extra", "llama2", ""});
  const FleetConfigDiff diff = DiffFleetConfigs(before, Build(spec));
  EXPECT_THAT(diff.changed_models, ElementsAre(spec.models[0].name, "extra"));
  EXPECT_EQ(diff.ToString(), "models ~" + spec.models[0].name + " ~extra");
}

}  // namespace
}  // namespace tokenfab::fleet
