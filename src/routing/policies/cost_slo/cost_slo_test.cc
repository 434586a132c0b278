#include "routing/policies/cost_slo/cost_slo.h"

#include <array>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"
#include "tokenfab/base/check.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using testing::Loaded;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

// Test fleet: equal hardware; facility price per kWh hub 0.40 * 1.2 = 0.48, coast 0.56 * 1.3 =
// 0.728, edge 1.00 * 1.35 = 1.35; RTT hub 12, coast 1.5, edge 38 ms; prefill 10,000 tokens/s.
// Default headroom 0.8: an SLO of 300 ms needs a predicted TTFT <= 240 ms.
RoutingRequest Request(int32_t prompt, double ttft_slo_ms, double tpot_slo_ms = 0) {
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = prompt;
  request.expected_output_tokens = 200;
  request.slo = {.ttft_ms = ttft_slo_ms, .tpot_ms = tpot_slo_ms};
  return request;
}

struct Row {
  std::string name;
  RoutingRequest request;
  std::vector<fleet::UpstreamState> states;  // hub-1, coast-1, edge-1
  std::vector<std::string> expected;
  size_t fallbacks;  // how many rank as fallback (the last ones)
};

TEST(CostSloTest, CheapestAmongThoseMeetingTheSlo) {
  auto config = ThreeSiteFleet();
  fleet::UpstreamState slow_decode = Loaded(0);
  slow_decode.tpot_ms = 80;
  fleet::UpstreamState hub_cached = Loaded(0, 0, 100);
  hub_cached.cached_blocks =
      std::make_shared<const fleet::BlockHashSet>(std::vector<uint64_t>{1, 2, 3});
  const std::vector<uint64_t> chain = {1, 2, 3, 4};
  RoutingRequest cached_request = Request(2'000, 300);
  cached_request.block_hashes = chain;
  cached_request.block_tokens = 500;
  const Row rows[] = {
      {"all meet: by cost",
       Request(2'000, 300),
       {Loaded(9), Loaded(0), Loaded(0)},
       {"hub-1", "coast-1", "edge-1"},
       0},
      {"no SLO: by cost",
       Request(2'000, 0),
       {Loaded(0, 0, 5'000), Loaded(0), Loaded(0)},
       {"hub-1", "coast-1", "edge-1"},
       0},
      // hub 12 + 100 queue + 200 prefill = 312 > 240: the coast is the cheapest that meets it.
      {"hub queue breaks the SLO",
       Request(2'000, 300),
       {Loaded(0, 0, 100), Loaded(0), Loaded(0)},
       {"coast-1", "edge-1", "hub-1"},
       1},
      // 1,500 of 2,000 tokens cached at the hub: 12 + 100 + 50 = 162 ms meets it again.
      {"cached prefix rescues the hub",
       cached_request,
       {hub_cached, Loaded(0), Loaded(0)},
       {"hub-1", "coast-1", "edge-1"},
       0},
      // 50 ms TPOT SLO: the hub's measured 80 ms misses it.
      {"measured TPOT misses",
       Request(2'000, 0, 50),
       {slow_decode, Loaded(0), Loaded(0)},
       {"coast-1", "edge-1", "hub-1"},
       1},
      // 150 ms SLO (120 with headroom): nobody meets it; least predicted TTFT first:
      // coast 201.5, hub 212, edge 238.
      {"none meet: by TTFT",
       Request(2'000, 150),
       {Loaded(0), Loaded(0), Loaded(0)},
       {"coast-1", "hub-1", "edge-1"},
       3},
  };
  auto policy = MakePolicy("cost-slo");
  for (const Row& row : rows) {
    auto decision = policy->Rank(row.request, *MakeSnapshot(config, row.states));
    EXPECT_THAT(Ranking(decision, *config), ElementsAreArray(row.expected)) << row.name;
    size_t fallbacks = 0;
    for (const RankedUpstream& r : decision.ranked) fallbacks += r.fallback;
    EXPECT_EQ(fallbacks, row.fallbacks) << row.name;
  }
}

TEST(CostSloTest, ScoresAreCostRatiosAndTtftRatios) {
  auto config = ThreeSiteFleet();
  auto snapshot = MakeSnapshot(config, {});
  CostSloScorer scorer{SloOptions{}};
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}};
  std::vector<double> scores =
      testing::ScoreWith(scorer, Request(2'000, 300), *snapshot, candidates);
  EXPECT_DOUBLE_EQ(scores[0], 1.0);
  EXPECT_DOUBLE_EQ(scores[1], 0.48 / 0.728);
  EXPECT_DOUBLE_EQ(scores[2], 0.48 / 1.35);
  scores = testing::ScoreWith(scorer, Request(2'000, 150), *snapshot, candidates);
  EXPECT_DOUBLE_EQ(scores[1], 1.0);
  EXPECT_DOUBLE_EQ(scores[0], 201.5 / 212);
  EXPECT_DOUBLE_EQ(scores[2], 201.5 / 238);
  EXPECT_THAT(testing::ExplainWith(scorer, Request(2'000, 150), *snapshot, candidates, 0),
              HasSubstr("ttft 212 ms > 120, "));
}

TEST(CostSloTest, FollowsTheHourOfDayPrices) {
  // The coast gets a cheap night tariff (0.20 from 00:00 to 06:00 local).
  fleet::FleetSpec spec = ThreeSiteFleet()->spec();
  std::array<double, fleet::kHoursPerDay> coast;
  for (int h = 0; h < fleet::kHoursPerDay; ++h) coast[h] = h < 6 ? 0.20 : 0.56;
  spec.sites[1].energy.prices = fleet::PriceSchedule(coast);
  auto built = fleet::FleetConfig::Create(spec);
  TF_CHECK(built.ok());
  auto config = std::make_shared<const fleet::FleetConfig>(*std::move(built));
  auto policy = MakePolicy("cost-slo");
  const int64_t three_am = testing::kNoonWall - int64_t{9} * 3'600'000'000;
  EXPECT_EQ(Ranking(policy->Rank(Request(1'000, 0), *MakeSnapshot(config, {})), *config)[0],
            "hub-1");
  EXPECT_EQ(
      Ranking(policy->Rank(Request(1'000, 0), *MakeSnapshot(config, {}, three_am)), *config)[0],
      "coast-1");
}

}  // namespace
}  // namespace tokenfab::routing
