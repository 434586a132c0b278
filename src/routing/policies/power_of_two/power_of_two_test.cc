#include "routing/policies/power_of_two/power_of_two.h"

#include <algorithm>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using testing::Loaded;
using testing::MakeFleet;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;

std::vector<std::string> Firsts(uint64_t seed, int requests) {
  auto config = MakeFleet({{"a", "hub"}, {"b", "hub"}, {"c", "hub"}, {"d", "hub"}});
  auto snapshot = MakeSnapshot(config, {Loaded(1), Loaded(2), Loaded(3), Loaded(4)});
  auto policy = MakePolicy("power-of-two", seed);
  RoutingRequest request;
  request.model = "m";
  std::vector<std::string> firsts;
  for (int i = 0; i < requests; ++i)
    firsts.push_back(Ranking(policy->Rank(request, *snapshot), *config)[0]);
  return firsts;
}

TEST(PowerOfTwoTest, SameSeedSameChoices) {
  EXPECT_EQ(Firsts(7, 50), Firsts(7, 50));
  EXPECT_NE(Firsts(7, 50), Firsts(8, 50));
}

TEST(PowerOfTwoTest, TheWinnerIsTheLessLoadedOfTheTwoDrawn) {
  const std::vector<std::string> firsts = Firsts(42, 600);
  std::map<std::string, int> wins;
  for (const std::string& name : firsts) ++wins[name];
  // Loads 1 < 2 < 3 < 4: the most loaded never wins, and an upstream wins exactly when it is
  // drawn with a busier one: a (the least) with probability 3/6 of pairs, b 2/6, c 1/6.
  EXPECT_EQ(wins.count("d"), 0u);
  EXPECT_NEAR(wins["a"], 300, 60);
  EXPECT_NEAR(wins["b"], 200, 60);
  EXPECT_NEAR(wins["c"], 100, 50);
}

TEST(PowerOfTwoTest, ScoresThePairAndRanksTheRestByLoad) {
  auto config = MakeFleet({{"a", "hub"}, {"b", "hub"}, {"c", "hub"}, {"d", "hub"}});
  auto snapshot = MakeSnapshot(config, {Loaded(1), Loaded(2), Loaded(3), Loaded(4)});
  PowerOfTwoScorer scorer{base::Random(3)};
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}, {3, false}};
  const std::vector<double> scores = testing::ScoreWith(scorer, {}, *snapshot, candidates);
  std::vector<double> sorted = scores;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_THAT(sorted, ::testing::ElementsAre(0.0, 0.0, 0.5, 1.0));
  // The 1 goes to the less loaded of the two drawn (lower index here).
  const auto one = std::find(scores.begin(), scores.end(), 1.0) - scores.begin();
  const auto half = std::find(scores.begin(), scores.end(), 0.5) - scores.begin();
  EXPECT_LT(one, half);
  // A single candidate is always chosen.
  EXPECT_THAT(testing::ScoreWith(scorer, {}, *snapshot, std::span(candidates, 1)),
              ::testing::ElementsAre(1.0));
}

}  // namespace
}  // namespace tokenfab::routing
