// Composition: filters, weighted scorers, ranking order, the reason string, Route.
#include "tokenfab/routing/policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Loaded;
using testing::MakeFleet;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

RoutingRequest ModelM() {
  RoutingRequest request;
  request.model = "m";
  return request;
}

TEST(PolicyTest, ScoreIsTheWeightedMeanOfTheScorers) {
  auto config = ThreeSiteFleet();
  // least-load: hub 1/(1+1) ... with loads 1, 0, 3: scores 1/2, 1, 1/4.
  auto snapshot = MakeSnapshot(config, {Loaded(1), Loaded(0), Loaded(3)});
  // green-first: shares .55/.25/.04 -> 0.9 * share / .55 + 0.1 * (least carbon / carbon).
  auto green_only = MakePolicy("green-first")->Rank(ModelM(), *snapshot);
  auto load_only = MakePolicy("least-load")->Rank(ModelM(), *snapshot);
  auto both = MakePolicy("least-load+green-first:3")->Rank(ModelM(), *snapshot);
  auto score_of = [&](const RoutingDecision& d, std::string_view name) {
    for (const RankedUpstream& r : d.ranked) {
      if (config->upstreams()[r.index].name == name) return r.score;
    }
    return -1.0;
  };
  for (std::string_view name : {"hub-1", "coast-1", "edge-1"}) {
    EXPECT_DOUBLE_EQ(score_of(both, name),
                     (score_of(load_only, name) + 3 * score_of(green_only, name)) / 4)
        << name;
  }
  EXPECT_DOUBLE_EQ(score_of(load_only, "hub-1"), 0.5);
  EXPECT_DOUBLE_EQ(score_of(load_only, "edge-1"), 0.25);
  // Load alone prefers the coast; green share weighted 3:1 brings the hub first.
  EXPECT_THAT(Ranking(load_only, *config), ElementsAre("coast-1", "hub-1", "edge-1"));
  EXPECT_THAT(Ranking(both, *config), ElementsAre("hub-1", "coast-1", "edge-1"));
}

TEST(PolicyTest, FallbacksRankLastWhateverTheirScore) {
  auto config = ThreeSiteFleet();
  std::vector<fleet::UpstreamState> states = {Loaded(0), Loaded(50), Loaded(9)};
  states[0].circuit = fleet::CircuitState::kHalfOpen;  // idle, but probing
  auto decision = MakePolicy("least-load")->Rank(ModelM(), *MakeSnapshot(config, states));
  EXPECT_THAT(Ranking(decision, *config), ElementsAre("edge-1", "coast-1", "hub-1"));
  EXPECT_TRUE(decision.ranked[2].fallback);
  EXPECT_GT(decision.ranked[2].score, decision.ranked[0].score);
}

TEST(PolicyTest, TiesBreakByLoadThenIndex) {
  // kv-aware scores 0 everywhere without hashes: the ranking falls to the tie-break.
  auto config = MakeFleet({{"a", "hub"}, {"b", "hub"}, {"c", "hub", {"m"}, 2.0}, {"d", "hub"}});
  auto snapshot = MakeSnapshot(config, {Loaded(2), Loaded(1), Loaded(2), Loaded(1)});
  // Loads per weight: a 2, b 1, c 1, d 1.
  auto decision = MakePolicy("kv-aware")->Rank(ModelM(), *snapshot);
  EXPECT_THAT(Ranking(decision, *config), ElementsAre("b", "c", "d", "a"));
}

TEST(PolicyTest, ListsAtMostMaxRanked) {
  auto config = MakeFleet({{"a", "hub"}, {"b", "hub"}, {"c", "hub"}, {"d", "hub"}, {"e", "hub"}});
  auto snapshot = MakeSnapshot(config, {Loaded(5), Loaded(4), Loaded(3), Loaded(2), Loaded(1)});
  base::Random random(1);
  PolicyOptions options;
  options.max_ranked = 2;
  auto policy = PolicyRegistry::Default().Create("least-load", options, random);
  ASSERT_TRUE(policy.ok());
  EXPECT_THAT(Ranking((*policy)->Rank(ModelM(), *snapshot), *config), ElementsAre("e", "d"));
}

TEST(PolicyTest, EmptyDecisionSaysWhy) {
  auto config = ThreeSiteFleet();
  std::vector<fleet::UpstreamState> states(3);
  states[1].healthy = false;
  RoutingRequest request = ModelM();
  const std::vector<std::string> allowed = {"cn"};
  request.allowed_regions = allowed;
  states[0].healthy = false;
  auto decision = MakePolicy("least-load")->Rank(request, *MakeSnapshot(config, states));
  EXPECT_TRUE(decision.empty());
  EXPECT_EQ(decision.reason, "no upstream for model \"m\" of 3: health -2 residency -1");
  request.model = "x";
  decision = MakePolicy("least-load")->Rank(request, *MakeSnapshot(config, states));
  EXPECT_EQ(decision.reason, "no upstream for model \"x\" of 3: model -3");
}

TEST(PolicyTest, ReasonNamesTheChoiceAndEveryTerm) {
  auto config = ThreeSiteFleet();
  std::vector<fleet::UpstreamState> states = {Loaded(2), Loaded(1), Loaded(0)};
  states[2].healthy = false;
  RoutingRequest request = ModelM();
  request.prompt_tokens = 1000;
  request.expected_output_tokens = 100;
  request.slo.ttft_ms = 1000;
  auto decision =
      MakePolicy("cost-slo+least-load:0.5")->Rank(request, *MakeSnapshot(config, states));
  ASSERT_FALSE(decision.empty());
  EXPECT_THAT(decision.reason, HasSubstr("hub-1 "));
  EXPECT_THAT(decision.reason, HasSubstr(" = cost-slo 1.00 (ttft 112 ms <= 800, "));
  EXPECT_THAT(decision.reason,
              HasSubstr(" CNY/Mtok) + least-load:0.5 0.67 (2 running, 0 waiting)"));
  EXPECT_THAT(decision.reason, HasSubstr("; 2 of 3 upstreams, health -1"));
}

TEST(PolicyTest, RouteTeachesTheScorersWhereRequestsWent) {
  auto config = ThreeSiteFleet();
  const std::vector<uint64_t> chain = {1, 2, 3, 4};
  RoutingRequest request = ModelM();
  request.block_hashes = chain;
  auto policy = MakePolicy("prefix-affinity");
  // Rank alone learns nothing: with all idle, the tie-break keeps choosing hub-1.
  auto coast_busy = MakeSnapshot(config, {Loaded(0), Loaded(0), Loaded(0)});
  EXPECT_EQ(Ranking(policy->Rank(request, *coast_busy), *config)[0], "hub-1");
  // Route to the coast through OnRouted, then the prefix follows it although it is busier.
  policy->OnRouted(request, *coast_busy, 1);
  auto now = MakeSnapshot(config, {Loaded(0), Loaded(3), Loaded(0)});
  EXPECT_EQ(Ranking(policy->Rank(request, *now), *config)[0], "coast-1");
  // Route() records its own first choice.
  RoutingRequest other = ModelM();
  const std::vector<uint64_t> other_chain = {7, 8};
  other.block_hashes = other_chain;
  EXPECT_EQ(Ranking(policy->Route(other, *now), *config)[0], "hub-1");
  auto later = MakeSnapshot(config, {Loaded(4), Loaded(0), Loaded(0)});
  EXPECT_EQ(Ranking(policy->Rank(other, *later), *config)[0], "hub-1");
}

}  // namespace
}  // namespace tokenfab::routing
