#include "tokenfab/fleet/fleet_snapshot.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::fleet {
namespace {

// 2023-11-14T22:13:20Z: 06:13 the next morning in UTC+8 (night tariff at the hub).
constexpr int64_t kWall = 1'700'000'000'000'000;
constexpr int64_t kHour = 3'600'000'000;

std::shared_ptr<const FleetConfig> Example() {
  auto config = LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  TF_CHECK(config.ok()) << config.status();
  return std::make_shared<const FleetConfig>(*std::move(config));
}

TEST(FleetSnapshotTest, InitialStatesAndSitePricesAtTheSnapshotTime) {
  auto config = Example();
  auto night = FleetSnapshot::Initial(config, kWall);
  ASSERT_EQ(night->states().size(), 3u);
  EXPECT_TRUE(night->state(0).healthy);
  EXPECT_EQ(night->state(0).outstanding(), 0);
  const uint32_t hub = *config->FindSite("hub-west");
  const uint32_t edge = *config->FindSite("edge-sg");
  EXPECT_DOUBLE_EQ(night->SitePrice(hub), 0.264);
  EXPECT_DOUBLE_EQ(night->SitePrice(edge), 0.16 * 7.2);
  auto evening = FleetSnapshot::Initial(config, kWall + 12 * kHour);  // 18:13 local
  EXPECT_DOUBLE_EQ(evening->SitePrice(hub), 0.540);
  EXPECT_EQ(evening->wall_micros(), kWall + 12 * kHour);
}

TEST(FleetSnapshotTest, ReconfigureKeepsStateOfUnchangedUpstreams) {
  auto config = Example();
  std::vector<UpstreamState> states(3);
  for (int i = 0; i < 3; ++i) states[i].running = 10 + i;
  auto before = FleetSnapshot::Create(config, states, kWall, 7);

  FleetSpec spec = config->spec();
  spec.upstreams[1].url.port = 9999;                // coast moves: fresh state
  std::swap(spec.upstreams[0], spec.upstreams[2]);  // order changes: state follows the name
  auto reloaded = FleetConfig::Create(spec);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  auto after = FleetSnapshot::Reconfigure(
      *before, std::make_shared<const FleetConfig>(*std::move(reloaded)), kWall + 1);
  const FleetConfig& c = after->config();
  EXPECT_EQ(after->state(*c.FindUpstream("hub-node-1")).running, 10);
  EXPECT_EQ(after->state(*c.FindUpstream("edge-node-1")).running, 12);
  EXPECT_EQ(after->state(*c.FindUpstream("coast-node-1")).running, 0);
  EXPECT_EQ(after->version(), 8u);
}

TEST(FleetSnapshotCellTest, ReadersSeeWholeSnapshotsWhileWritersSwap) {
  auto config = Example();
  FleetSnapshotCell cell(FleetSnapshot::Initial(config, kWall));
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto snapshot = cell.Load();
        // Every state of one snapshot was written with the same value.
        const int32_t first = snapshot->state(0).running;
        for (const UpstreamState& s : snapshot->states()) {
          if (s.running != first) torn.fetch_add(1);
        }
      }
    });
  }
  for (int version = 1; version <= 2000; ++version) {
    std::vector<UpstreamState> states(3);
    for (UpstreamState& s : states) s.running = version;
    cell.Store(FleetSnapshot::Create(config, std::move(states), kWall, version));
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(cell.Load()->version(), 2000u);
}

}  // namespace
}  // namespace tokenfab::fleet
