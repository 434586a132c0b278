#include "routing/policies/round_robin/round_robin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using ::testing::DoubleEq;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::Loaded;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

TEST(RoundRobinTest, RotatesOneStepPerRequestWhateverTheLoad) {
  auto config = ThreeSiteFleet();
  auto snapshot = MakeSnapshot(config, {Loaded(90), Loaded(0), Loaded(5)});
  auto policy = MakePolicy("round-robin");
  RoutingRequest request;
  request.model = "m";
  const std::vector<std::vector<std::string>> expected = {
      {"hub-1", "coast-1", "edge-1"},
      {"coast-1", "edge-1", "hub-1"},
      {"edge-1", "hub-1", "coast-1"},
      {"hub-1", "coast-1", "edge-1"},
  };
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_THAT(Ranking(policy->Rank(request, *snapshot), *config), ElementsAreArray(expected[i]))
        << "request " << i;
  }
}

TEST(RoundRobinTest, RotatesOverWhatTheFiltersLeave) {
  auto config = ThreeSiteFleet();
  std::vector<fleet::UpstreamState> states(3);
  states[1].healthy = false;
  auto snapshot = MakeSnapshot(config, states);
  auto policy = MakePolicy("round-robin");
  RoutingRequest request;
  request.model = "m";
  std::vector<std::string> firsts;
  for (int i = 0; i < 4; ++i)
    firsts.push_back(Ranking(policy->Rank(request, *snapshot), *config)[0]);
  EXPECT_THAT(firsts, ElementsAreArray({"hub-1", "edge-1", "hub-1", "edge-1"}));
}

TEST(RoundRobinTest, ScoresFallByStepsFromTheTurn) {
  RoundRobinScorer scorer;
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {});
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}};
  EXPECT_THAT(testing::ScoreWith(scorer, {}, *snapshot, candidates),
              ElementsAre(DoubleEq(1.0), DoubleEq(2.0 / 3), DoubleEq(1.0 / 3)));
  EXPECT_THAT(testing::ScoreWith(scorer, {}, *snapshot, candidates),
              ElementsAre(DoubleEq(1.0 / 3), DoubleEq(1.0), DoubleEq(2.0 / 3)));
}

}  // namespace
}  // namespace tokenfab::routing
