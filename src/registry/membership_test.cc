#include "tokenfab/registry/membership.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::registry {
namespace {

using ::testing::ElementsAre;

constexpr char kFleet[] = R"(currency = "CNY"
[[regions]]
name = "r"
[[sites]]
name = "hub"
region = "r"
[sites.energy]
price = 0.4
pue = 1.2
green_share = 0.5
carbon_g_per_kwh = 300
[[sites]]
name = "edge"
region = "r"
[sites.energy]
price = 0.5
pue = 1.3
green_share = 0.5
carbon_g_per_kwh = 300
[[upstreams]]
name = "static-1"
url = "http://127.0.0.1:9000"
kind = "tokenfab-node"
models = ["m"]
site = "hub"
[upstreams.hardware]
kind = "gpu"
count = 1
peak_tflops = 100
mem_bandwidth_gbps = 1000
power_idle_w = 50
power_max_w = 300
)";

fleet::FleetSpec StaticSpec() {
  StatusOr<fleet::FleetConfig> config = fleet::ParseFleetConfig(kFleet, "fleet.toml");
  TF_CHECK(config.ok()) << config.status().message();
  return config->spec();
}

MemberRecord Member(std::string name, std::string site, int port) {
  MemberRecord r;
  r.name = std::move(name);
  r.site = std::move(site);
  r.url = "http://127.0.0.1:" + std::to_string(port);
  r.models = {"m"};
  r.hardware = fleet::Hardware{.kind = fleet::DeviceKind::kGpu,
                               .model = "",
                               .count = 8,
                               .peak_tflops = 989,
                               .mem_bandwidth_gbps = 3350,
                               .power_idle_w = 100,
                               .power_max_w = 700};
  return r;
}

MemberView View(std::initializer_list<MemberRecord> records) {
  MemberView view;
  for (const MemberRecord& r : records) view[MemberKey(kDefaultPrefix, r.site, r.name)] = r;
  return view;
}

std::vector<std::string> Names(const fleet::FleetSpec& spec) {
  std::vector<std::string> out;
  for (const fleet::Upstream& up : spec.upstreams) out.push_back(up.name);
  return out;
}

TEST(MergeMembersTest, MembersJoinTheStaticUpstreamsInNameOrder) {
  // Keys sort by site first ("edge/zeta" < "hub/alpha"); upstream order is by name.
  MergedFleet merged = MergeMembers(
      StaticSpec(), View({Member("zeta", "edge", 9002), Member("alpha", "hub", 9001)}));
  EXPECT_THAT(Names(merged.spec), ElementsAre("static-1", "alpha", "zeta"));
  EXPECT_THAT(merged.joined, ElementsAre("alpha", "zeta"));
  EXPECT_TRUE(merged.skipped.empty());
  const fleet::Upstream& zeta = merged.spec.upstreams[2];
  EXPECT_EQ(zeta.site, "edge");
  EXPECT_EQ(zeta.url.port, 9002);
  StatusOr<fleet::FleetConfig> config = fleet::FleetConfig::Create(merged.spec);
  EXPECT_TRUE(config.ok()) << config.status();
}

TEST(MergeMembersTest, SkipsUnknownSitesDrainingAndNameClashes) {
  MemberRecord draining = Member("d", "hub", 9003);
  draining.draining = true;
  MemberRecord bare = Member("bare", "hub", 9005);
  bare.hardware.reset();
  MergedFleet merged =
      MergeMembers(StaticSpec(), View({Member("x", "mars", 9001), Member("static-1", "hub", 9002),
                                       draining, Member("ok", "hub", 9004), bare}));
  EXPECT_THAT(merged.joined, ElementsAre("ok"));
  EXPECT_THAT(Names(merged.spec), ElementsAre("static-1", "ok"));
  ASSERT_EQ(merged.skipped.size(), 4u);
  EXPECT_EQ(merged.skipped[0], "bare: no hardware (the node's --hardware)");
  EXPECT_EQ(merged.skipped[1], "d: draining");
  EXPECT_EQ(merged.skipped[2], "static-1: the name is already an upstream's");
  EXPECT_EQ(merged.skipped[3], "x: site \"mars\" is not in the fleet file");
  EXPECT_TRUE(fleet::FleetConfig::Create(merged.spec).ok());
}

TEST(DiffMembersTest, AddedRemovedAndChangedByName) {
  MemberRecord b2 = Member("b", "hub", 9002);
  b2.draining = true;
  const MemberView before = View({Member("a", "hub", 9001), Member("b", "hub", 9002)});
  const MemberView after = View({b2, Member("c", "edge", 9003)});
  const MemberDiff diff = DiffMembers(before, after);
  EXPECT_THAT(diff.added, ElementsAre("c"));
  EXPECT_THAT(diff.removed, ElementsAre("a"));
  EXPECT_THAT(diff.changed, ElementsAre("b"));
  EXPECT_EQ(diff.ToString(), "+c -a ~b");
  EXPECT_TRUE(DiffMembers(after, after).empty());
  EXPECT_EQ(DiffMembers(after, after).ToString(), "no change");
}

// A node that crashed and registered again carries a new incarnation: a changed member, and
// an upstream the gateway tells from the one before (its runtime identity includes it).
TEST(MergeMembersTest, ANodeRegisteredAgainIsAChangedUpstream) {
  MemberRecord before = Member("n", "hub", 9001);
  before.incarnation = "aaaa";
  MemberRecord after = before;
  after.incarnation = "bbbb";
  EXPECT_THAT(DiffMembers(View({before}), View({after})).changed, ElementsAre("n"));
  const fleet::Upstream old_up = MergeMembers(StaticSpec(), View({before})).spec.upstreams[1];
  const fleet::Upstream new_up = MergeMembers(StaticSpec(), View({after})).spec.upstreams[1];
  EXPECT_EQ(old_up.incarnation, "aaaa");
  EXPECT_EQ(new_up.incarnation, "bbbb");
  EXPECT_FALSE(old_up == new_up);
}

TEST(DiffMembersTest, AMemberThatMovedSiteIsChanged) {
  const MemberDiff diff =
      DiffMembers(View({Member("a", "hub", 9001)}), View({Member("a", "edge", 9001)}));
  EXPECT_TRUE(diff.added.empty());
  EXPECT_TRUE(diff.removed.empty());
  EXPECT_THAT(diff.changed, ElementsAre("a"));
}

}  // namespace
}  // namespace tokenfab::registry
