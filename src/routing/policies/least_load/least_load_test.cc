#include "routing/policies/least_load/least_load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAreArray;
using testing::Loaded;
using testing::MakeFleet;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;

struct Row {
  std::string name;
  std::vector<fleet::UpstreamState> states;  // hub-1 (weight 2), coast-1, edge-1
  std::vector<std::string> expected;
};

TEST(LeastLoadTest, RanksByRequestsPerUnitOfWeight) {
  auto config = MakeFleet({{"hub-1", "hub", {"m"}, 2.0}, {"coast-1", "coast"}, {"edge-1", "edge"}});
  const Row rows[] = {
      {"idle: index order", {Loaded(0), Loaded(0), Loaded(0)}, {"hub-1", "coast-1", "edge-1"}},
      {"running", {Loaded(9), Loaded(1), Loaded(3)}, {"coast-1", "edge-1", "hub-1"}},
      {"waiting counts too",
       {Loaded(0, 4), Loaded(1, 2), Loaded(2, 2)},
       {"hub-1", "coast-1", "edge-1"}},
      {"weight halves the hub's load",
       {Loaded(6), Loaded(4), Loaded(2)},
       {"edge-1", "hub-1", "coast-1"}},
  };
  auto policy = MakePolicy("least-load");
  RoutingRequest request;
  request.model = "m";
  for (const Row& row : rows) {
    auto decision = policy->Rank(request, *MakeSnapshot(config, row.states));
    EXPECT_THAT(Ranking(decision, *config), ElementsAreArray(row.expected)) << row.name;
    EXPECT_DOUBLE_EQ(decision.ranked[0].score, 1.0) << row.name;
  }
}

TEST(LeastLoadTest, ScoreIsScaleFree) {
  auto config = testing::ThreeSiteFleet();
  LeastLoadScorer scorer;
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}};
  EXPECT_THAT(testing::ScoreWith(
                  scorer, {}, *MakeSnapshot(config, {Loaded(0), Loaded(1), Loaded(3)}), candidates),
              ElementsAreArray({1.0, 0.5, 0.25}));
  const std::vector<double> scores = testing::ScoreWith(
      scorer, {}, *MakeSnapshot(config, {Loaded(100), Loaded(101), Loaded(103)}), candidates);
  EXPECT_DOUBLE_EQ(scores[0], 1.0);
  EXPECT_NEAR(scores[2], 101.0 / 104, 1e-12);  // small relative gaps score close
}

}  // namespace
}  // namespace tokenfab::routing
