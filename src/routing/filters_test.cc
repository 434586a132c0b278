// The standard filters (model, health, residency) and the soft SLO filter, through policies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/filters/slo_filter.h"
#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::Loaded;
using testing::MakeFleet;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;

// Four upstreams: two at the hub (one serving any model), one at the coast, one at the edge.
std::shared_ptr<const fleet::FleetConfig> Fleet() {
  return MakeFleet({{"hub-1", "hub", {"m", "n"}},
                    {"hub-any", "hub", {"*"}},
                    {"coast-1", "coast", {"m"}},
                    {"edge-1", "edge", {"n"}}});
}

TEST(ModelFilterTest, KeepsUpstreamsServingTheModelOrAny) {
  auto config = Fleet();
  auto snapshot = MakeSnapshot(config, {});
  auto policy = MakePolicy("least-load");
  const std::pair<std::string, std::vector<std::string>> rows[] = {
      {"m", {"hub-1", "hub-any", "coast-1"}},
      {"n", {"hub-1", "hub-any", "edge-1"}},
      {"other", {"hub-any"}},
  };
  for (const auto& [model, expected] : rows) {
    RoutingRequest request;
    request.model = model;
    EXPECT_THAT(Ranking(policy->Rank(request, *snapshot), *config), ElementsAreArray(expected))
        << model;
  }
}

TEST(HealthFilterTest, RemovesUnhealthyAndOpenDemotesHalfOpen) {
  auto config = Fleet();
  std::vector<fleet::UpstreamState> states(4);
  states[0].healthy = false;
  states[1].circuit = fleet::CircuitState::kHalfOpen;
  states[2].circuit = fleet::CircuitState::kClosed;
  states[3].circuit = fleet::CircuitState::kOpen;
  auto snapshot = MakeSnapshot(config, states);
  RoutingRequest request;
  request.model = "n";
  auto decision = MakePolicy("least-load")->Rank(request, *snapshot);
  // hub-1 unhealthy, edge-1 open: only the half-open hub-any is left, as a fallback.
  ASSERT_THAT(Ranking(decision, *config), ElementsAre("hub-any"));
  EXPECT_TRUE(decision.ranked[0].fallback);
  request.model = "m";
  decision = MakePolicy("least-load")->Rank(request, *snapshot);
  EXPECT_THAT(Ranking(decision, *config), ElementsAre("coast-1", "hub-any"));
  EXPECT_FALSE(decision.ranked[0].fallback);
  EXPECT_TRUE(decision.ranked[1].fallback);
  EXPECT_THAT(decision.reason, HasSubstr("health -1"));
}

TEST(ResidencyFilterTest, KeepsOnlyAllowedRegions) {
  auto config = Fleet();
  auto snapshot = MakeSnapshot(config, {});
  auto policy = MakePolicy("least-load");
  const std::pair<std::vector<std::string>, std::vector<std::string>> rows[] = {
      {{}, {"hub-1", "hub-any", "edge-1"}},  // no restriction
      {{"cn"}, {"hub-1", "hub-any"}},        // residency name: both Chinese regions
      {{"sg"}, {"edge-1"}},
      {{"cn-west"}, {"hub-1", "hub-any"}},  // a region's own name
      {{"cn-east", "sg"}, {"edge-1"}},
      {{"eu"}, {}},  // unknown: nothing, never everything
  };
  for (const auto& [allowed, expected] : rows) {
    RoutingRequest request;
    request.model = "n";
    request.allowed_regions = allowed;
    EXPECT_THAT(Ranking(policy->Rank(request, *snapshot), *config), ElementsAreArray(expected))
        << (allowed.empty() ? "anywhere" : allowed[0]);
  }
}

TEST(SloFilterTest, MarksPredictedMissesAsFallback) {
  auto config = testing::ThreeSiteFleet();
  // hub 12 ms RTT + 500 ms queue; coast 1.5 ms; edge 38 ms. Prefill of 1,000 tokens: 100 ms.
  auto snapshot = MakeSnapshot(config, {Loaded(0, 0, 500), Loaded(0, 0, 0), Loaded(0, 0, 0)});
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = 1000;
  SloFilter filter(SloOptions{.slo_headroom = 1.0});
  std::vector<Candidate> candidates = {{0, false}, {1, false}, {2, false}};
  request.slo.ttft_ms = 200;
  RankContext context(request, *snapshot);
  filter.Apply(context, candidates);
  EXPECT_TRUE(candidates[0].fallback);   // 612 ms
  EXPECT_FALSE(candidates[1].fallback);  // 101.5 ms
  EXPECT_FALSE(candidates[2].fallback);  // 138 ms
  // Without an SLO nothing is marked.
  candidates = {{0, false}, {1, false}, {2, false}};
  request.slo = {};
  RankContext no_slo(request, *snapshot);
  filter.Apply(no_slo, candidates);
  EXPECT_FALSE(candidates[0].fallback);
  EXPECT_EQ(filter.name(), "slo");
}

TEST(SloFilterTest, WithoutMarginKeepsThePredictedMeetsAheadOfThePredictedMisses) {
  auto config = testing::ThreeSiteFleet();
  // As above: predicted TTFT hub 612 ms, coast 101.5 ms, edge 138 ms.
  auto snapshot = MakeSnapshot(config, {Loaded(0, 0, 500), Loaded(0, 0, 0), Loaded(0, 0, 0)});
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = 1000;
  SloFilter filter(SloOptions{.slo_headroom = 0.5});
  struct Row {
    double ttft_slo_ms;
    std::vector<bool> fallback;  // hub, coast, edge
  };
  const Row rows[] = {
      {300, {true, false, false}},  // margin 150: coast and edge have it, the hub misses
      {200, {true, false, false}},  // margin 100: nobody has it; coast and edge meet 200
      {120, {true, false, true}},   // only the coast meets 120
      {90, {true, true, true}},     // nobody meets: all fallback, the scorers still rank
  };
  for (const Row& row : rows) {
    request.slo.ttft_ms = row.ttft_slo_ms;
    std::vector<Candidate> candidates = {{0, false}, {1, false}, {2, false}};
    RankContext context(request, *snapshot);
    filter.Apply(context, candidates);
    for (size_t i = 0; i < candidates.size(); ++i) {
      EXPECT_EQ(candidates[i].fallback, row.fallback[i]) << row.ttft_slo_ms << " ms, " << i;
    }
  }
}

}  // namespace
}  // namespace tokenfab::routing
