#include "routing/policies/goodput_cost/goodput_cost.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

// Test fleet: facility price per kWh hub 0.48 < coast 0.728 < edge 1.35; RTT hub 12, coast 1.5,
// edge 38 ms. Every node publishes the step model 3000 µs + 90 µs per prefill token + 400 µs per
// decoding sequence. A lone 1,000-token prompt takes 90 + 3 = 93 ms to prefill.
fleet::UpstreamState Node(int64_t queued_tokens = 0, int32_t decoding = 0) {
  fleet::UpstreamState s;
  s.running = decoding;
  s.prefill_tokens_queued = queued_tokens;
  s.decode_sequences = decoding;
  s.kv_tokens = 0;
  s.step_model = {.base_us = 3000, .prefill_token_us = 90, .decode_sequence_us = 400};
  return s;
}

RoutingRequest Request(double ttft_slo_ms, double tpot_slo_ms = 0) {
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = 1'000;
  request.expected_output_tokens = 100;
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

TEST(GoodputCostTest, MarginFirstThenSlackThenLeastMiss) {
  auto config = ThreeSiteFleet();
  const Row rows[] = {
      // hub 12 + 93 = 105 ms, coast 94.5, edge 131: all within 0.8 x 300 = 240: cheapest first.
      {"all meet with margin: by cost",
       Request(300),
       {Node(), Node(), Node()},
       {"hub-1", "coast-1", "edge-1"},
       0},
      // 2,048 tokens ahead at the hub: 184.32 + 3 = 187.32 ms more: 292.32 ms meets 300 but not
      // the margin: every upstream with margin ranks ahead of it, even the dear edge.
      {"hub inside the SLO without margin",
       Request(300),
       {Node(2048), Node(), Node()},
       {"coast-1", "edge-1", "hub-1"},
       0},
      // 4,096 ahead: 368.64 + 6 ms: predicted to miss, behind every other.
      {"hub predicted to miss",
       Request(300),
       {Node(4096), Node(), Node()},
       {"coast-1", "edge-1", "hub-1"},
       1},
      // 100 decoding at the hub: TPOT 3 + 101 x 0.4 = 43.4 ms: > 40 (margin of 50), <= 50.
      {"hub TPOT without margin",
       Request(0, 50),
       {Node(0, 100), Node(), Node()},
       {"coast-1", "edge-1", "hub-1"},
       0},
      {"hub TPOT misses",
       Request(0, 40),
       {Node(0, 100), Node(), Node()},
       {"coast-1", "edge-1", "hub-1"},
       1},
      // 90 ms: everyone misses; least predicted TTFT first (coast 94.5, hub 105, edge 131).
      {"all miss: by predicted TTFT",
       Request(90),
       {Node(), Node(), Node()},
       {"coast-1", "hub-1", "edge-1"},
       3},
  };
  auto policy = MakePolicy("goodput-cost");
  for (const Row& row : rows) {
    auto decision = policy->Rank(row.request, *MakeSnapshot(config, row.states));
    EXPECT_THAT(Ranking(decision, *config), ::testing::ElementsAreArray(row.expected)) << row.name;
    size_t fallbacks = 0;
    for (const RankedUpstream& r : decision.ranked) fallbacks += r.fallback;
    EXPECT_EQ(fallbacks, row.fallbacks) << row.name;
  }
}

TEST(GoodputCostTest, NeverSendsAPredictedMissWhenAnotherMeets) {
  // kv-aware, weighted heavily, wants the hub (it caches 3 of the prompt's 4 blocks), and so
  // does the price; but 4,096 tokens queued there make the hub miss 300 ms even with the cache
  // (12 + 374.64 + 22.5 + 3): the coast takes it.
  auto config = ThreeSiteFleet();
  fleet::UpstreamState hub = Node(4096);
  hub.cached_blocks = std::make_shared<const fleet::BlockHashSet>(std::vector<uint64_t>{1, 2, 3});
  RoutingRequest request = Request(300);
  const std::vector<uint64_t> chain = {1, 2, 3, 4};
  request.block_hashes = chain;
  request.block_tokens = 250;
  auto policy = MakePolicy("goodput-cost+kv-aware:10");
  auto decision = policy->Rank(request, *MakeSnapshot(config, {hub, Node(), Node()}));
  ASSERT_FALSE(decision.empty());
  EXPECT_EQ(Ranking(decision, *config)[0], "coast-1");
  EXPECT_TRUE(decision.ranked.back().fallback);
  // With half the queue the cached hub meets it (12 + 187.32 + 25.5 = 224.8 ms) and wins.
  hub.prefill_tokens_queued = 2048;
  decision = policy->Rank(request, *MakeSnapshot(config, {hub, Node(), Node()}));
  EXPECT_EQ(Ranking(decision, *config)[0], "hub-1");
}

TEST(GoodputCostTest, ScoresByBand) {
  auto config = ThreeSiteFleet();
  auto snapshot = MakeSnapshot(config, {Node(2048), Node(), Node(4096)});
  GoodputCostScorer scorer{SloOptions{}};
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}};
  const std::vector<double> scores =
      testing::ScoreWith(scorer, Request(300), *snapshot, candidates);
  EXPECT_DOUBLE_EQ(scores[1], 1.0);  // the only one with margin: best of its band
  EXPECT_DOUBLE_EQ(scores[0], 0.4);  // the only one meeting without margin
  EXPECT_DOUBLE_EQ(scores[2], 1.0);  // the only miss: the least miss
  EXPECT_THAT(testing::ExplainWith(scorer, Request(300), *snapshot, candidates, 1),
              HasSubstr("predicted ttft 94 ms (slo 300)"));
}

TEST(GoodputCostTest, RejectsAHeadroomAboveOne) {
  PolicyOptions options;
  options.slo.slo_headroom = 1.5;
  base::Random random(1);
  EXPECT_FALSE(PolicyRegistry::Default().Create("goodput-cost", options, random).ok());
}

}  // namespace
}  // namespace tokenfab::routing
