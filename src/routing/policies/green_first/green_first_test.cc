#include "routing/policies/green_first/green_first.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"
#include "tokenfab/base/check.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAreArray;
using testing::Loaded;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

// The test fleet with the coast's green share and carbon intensity replaced.
std::shared_ptr<const fleet::FleetConfig> WithCoast(double green, double carbon) {
  fleet::FleetSpec spec = ThreeSiteFleet()->spec();
  spec.sites[1].energy.green_share = green;
  spec.sites[1].energy.carbon_g_per_kwh = carbon;
  auto config = fleet::FleetConfig::Create(spec);
  TF_CHECK(config.ok());
  return std::make_shared<const fleet::FleetConfig>(*std::move(config));
}

struct Row {
  std::string name;
  std::shared_ptr<const fleet::FleetConfig> config;
  std::vector<std::string> expected;
};

TEST(GreenFirstTest, GreenShareFirstThenCarbon) {
  // Hub: green 0.55, 250 g/kWh, PUE 1.2. Edge: 0.04, 410 g/kWh.
  const Row rows[] = {
      {"by green share", ThreeSiteFleet(), {"hub-1", "coast-1", "edge-1"}},
      {"greener coast", WithCoast(0.8, 480), {"coast-1", "hub-1", "edge-1"}},
      {"equal share: less carbon (hub)", WithCoast(0.55, 480), {"hub-1", "coast-1", "edge-1"}},
      {"equal share: less carbon (coast)", WithCoast(0.55, 100), {"coast-1", "hub-1", "edge-1"}},
  };
  auto policy = MakePolicy("green-first");
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = 1000;
  for (const Row& row : rows) {
    // Load must not matter: the greenest is the busiest.
    auto snapshot = MakeSnapshot(row.config, {Loaded(9), Loaded(9), Loaded(0)});
    EXPECT_THAT(Ranking(policy->Rank(request, *snapshot), *row.config),
                ElementsAreArray(row.expected))
        << row.name;
  }
}

TEST(GreenFirstTest, GreenestAmongThoseMeetingTheSlo) {
  auto config = ThreeSiteFleet();
  auto policy = MakePolicy("green-first");
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = 1000;  // 100 ms of prefill
  request.slo.ttft_ms = 500;     // 400 ms with the default headroom
  // The hub's queue breaks the SLO: the coast is the greenest left; the hub ranks last.
  auto decision =
      policy->Rank(request, *MakeSnapshot(config, {Loaded(0, 0, 450), Loaded(0), Loaded(0)}));
  EXPECT_THAT(Ranking(decision, *config), ElementsAreArray({"coast-1", "edge-1", "hub-1"}));
  EXPECT_TRUE(decision.ranked[2].fallback);
  // Nobody meets it with the margin: those within the SLO (coast 401.5, edge 438) still rank
  // ahead of the hub (562), predicted to miss it.
  decision = policy->Rank(
      request, *MakeSnapshot(config, {Loaded(0, 0, 450), Loaded(0, 0, 300), Loaded(0, 0, 300)}));
  EXPECT_THAT(Ranking(decision, *config), ElementsAreArray({"coast-1", "edge-1", "hub-1"}));
  EXPECT_FALSE(decision.ranked[1].fallback);
  EXPECT_TRUE(decision.ranked[2].fallback);
  // Nobody meets it at all: least predicted TTFT first (coast 551.5, edge 588, hub 562), all
  // fallback.
  decision = policy->Rank(
      request, *MakeSnapshot(config, {Loaded(0, 0, 450), Loaded(0, 0, 450), Loaded(0, 0, 450)}));
  EXPECT_THAT(Ranking(decision, *config), ElementsAreArray({"coast-1", "hub-1", "edge-1"}));
  EXPECT_TRUE(decision.ranked[0].fallback);
}

TEST(GreenFirstTest, ScoreWeighsShareAndCarbon) {
  auto config = ThreeSiteFleet();
  auto snapshot = MakeSnapshot(config, {});
  GreenFirstScorer scorer{SloOptions{}};
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}};
  const std::vector<double> scores = testing::ScoreWith(scorer, {}, *snapshot, candidates);
  // Carbon per request is proportional to PUE * intensity: hub 300, coast 624, edge 553.5.
  EXPECT_DOUBLE_EQ(scores[0], 0.9 + 0.1);
  EXPECT_DOUBLE_EQ(scores[1], 0.9 * 0.25 / 0.55 + 0.1 * 300 / 624);
  EXPECT_DOUBLE_EQ(scores[2], 0.9 * 0.04 / 0.55 + 0.1 * 300 / 553.5);
  EXPECT_EQ(testing::ExplainWith(scorer, {}, *snapshot, candidates, 0).substr(0, 9), "green 55 ");
}

}  // namespace
}  // namespace tokenfab::routing
