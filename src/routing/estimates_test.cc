#include "tokenfab/routing/estimates.h"
#include "tokenfab/routing/rank_context.h"

#include <gtest/gtest.h>

#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using testing::Loaded;
using testing::MakeSnapshot;
using testing::ThreeSiteFleet;

// Test fleet hardware: 1 kW at full load, 10,000 prefill and 2,000 decode tokens/s.
constexpr double kPrefillWh = 1000.0 / 10'000 / 3600;
constexpr double kDecodeWh = 1000.0 / 2'000 / 3600;

RoutingRequest Request(int32_t prompt, int32_t output) {
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = prompt;
  request.expected_output_tokens = output;
  return request;
}

TEST(EstimatesTest, TtftIsRttPlusQueuePlusPrefill) {
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {Loaded(3, 2, 40), {}, {}});
  const UpstreamEstimate e = EstimateRequest(Request(2'000, 100), *snapshot, 0);
  EXPECT_DOUBLE_EQ(e.rtt_ms, 12);       // configured path to the hub
  EXPECT_DOUBLE_EQ(e.queue_ms, 40);     // the upstream's own estimate
  EXPECT_DOUBLE_EQ(e.prefill_ms, 200);  // 2,000 tokens at 10,000 tokens/s
  EXPECT_DOUBLE_EQ(e.ttft_ms, 252);
}

TEST(EstimatesTest, MeasuredFiguresOverrideConfiguredOnes) {
  fleet::UpstreamState state = Loaded(0, 0, 0);
  state.rtt_ms = 30;
  state.prefill_tokens_per_s = 5'000;
  state.decode_tokens_per_s = 1'000;
  state.tpot_ms = 25;
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {state, {}, {}});
  const UpstreamEstimate e = EstimateRequest(Request(1'000, 10), *snapshot, 0);
  EXPECT_DOUBLE_EQ(e.rtt_ms, 30);
  EXPECT_DOUBLE_EQ(e.prefill_ms, 200);
  EXPECT_DOUBLE_EQ(e.tpot_ms, 25);
  EXPECT_DOUBLE_EQ(e.energy_wh, 1.2 * (1'000 * 1000.0 / 5'000 + 10 * 1000.0 / 1'000) / 3600);
}

TEST(EstimatesTest, QueueWithoutAnEstimateCountsWaitingRequests) {
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {Loaded(1, 3, -1), {}, {}});
  // Three waiting requests, each taken as long as this one's 100 ms prefill.
  EXPECT_DOUBLE_EQ(EstimateRequest(Request(1'000, 1), *snapshot, 0).queue_ms, 300);
}

TEST(EstimatesTest, CachedBlocksShortenPrefillAndSaveEnergy) {
  const std::vector<uint64_t> chain = {11, 12, 13, 14};
  fleet::UpstreamState state = Loaded(0, 0, 0);
  state.cached_blocks =
      std::make_shared<const fleet::BlockHashSet>(std::vector<uint64_t>{11, 12, 13});
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {state, {}, {}});
  RoutingRequest request = Request(2'000, 100);
  request.block_hashes = chain;
  request.block_tokens = 512;
  const UpstreamEstimate e = EstimateRequest(request, *snapshot, 0);
  EXPECT_EQ(e.cached_tokens, 1536);
  EXPECT_DOUBLE_EQ(e.prefill_ms, 46.4);
  EXPECT_DOUBLE_EQ(e.energy_wh, 1.2 * (464 * kPrefillWh + 100 * kDecodeWh));
  // More cached than the prompt: capped at the prompt.
  request.prompt_tokens = 1'000;
  EXPECT_EQ(EstimateRequest(request, *snapshot, 0).cached_tokens, 1'000);
}

TEST(EstimatesTest, CostAndCarbonFollowSitePriceAndIntensity) {
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {});
  const RoutingRequest request = Request(1'000, 200);
  const double it_wh = 1'000 * kPrefillWh + 200 * kDecodeWh;
  const UpstreamEstimate hub = EstimateRequest(request, *snapshot, 0);
  EXPECT_DOUBLE_EQ(hub.energy_wh, 1.2 * it_wh);
  EXPECT_DOUBLE_EQ(hub.cost, 1.2 * it_wh / 1000 * 0.40);
  EXPECT_DOUBLE_EQ(hub.carbon_g, 1.2 * it_wh / 1000 * 250);
  const UpstreamEstimate edge = EstimateRequest(request, *snapshot, 2);
  EXPECT_DOUBLE_EQ(edge.cost, 1.35 * it_wh / 1000 * 1.00);
  // No output estimate still yields one token.
  EXPECT_DOUBLE_EQ(EstimateRequest(Request(0, 0), *snapshot, 0).energy_wh, 1.2 * kDecodeWh);
}

TEST(EstimatesTest, MeetsSloWithHeadroom) {
  UpstreamEstimate e;
  e.ttft_ms = 90;
  e.tpot_ms = 40;
  EXPECT_TRUE(MeetsSlo(e, {.ttft_ms = 100, .tpot_ms = 50}, 1.0));
  EXPECT_FALSE(MeetsSlo(e, {.ttft_ms = 100, .tpot_ms = 50}, 0.8));  // 90 > 80
  EXPECT_FALSE(MeetsSlo(e, {.ttft_ms = 0, .tpot_ms = 30}, 1.0));
  EXPECT_TRUE(MeetsSlo(e, {}, 0.5));  // no SLO
  e.tpot_ms = 0;                      // unknown TPOT meets any TPOT SLO
  EXPECT_TRUE(MeetsSlo(e, {.ttft_ms = 0, .tpot_ms = 1}, 1.0));
}

}  // namespace
}  // namespace tokenfab::routing

namespace tokenfab::routing {
namespace {

TEST(RankContextTest, MemoizesEstimatesPerUpstream) {
  auto snapshot = testing::MakeSnapshot(testing::ThreeSiteFleet(), {Loaded(1, 2, 30), {}, {}});
  const RoutingRequest request = Request(1'500, 40);
  RankContext context(request, *snapshot);
  const UpstreamEstimate& first = context.Estimate(0);
  context.Estimate(2);
  EXPECT_EQ(&context.Estimate(0), &first);
  const UpstreamEstimate direct = EstimateRequest(request, *snapshot, 0);
  EXPECT_EQ(first.ttft_ms, direct.ttft_ms);
  EXPECT_EQ(first.cost, direct.cost);
  EXPECT_EQ(context.Estimate(2).rtt_ms, 38);
}

}  // namespace
}  // namespace tokenfab::routing
