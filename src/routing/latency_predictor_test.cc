#include "tokenfab/routing/latency_predictor.h"

#include <gtest/gtest.h>

#include "routing/routing_test_util.h"
#include "tokenfab/base/check.h"

namespace tokenfab::routing {
namespace {

using testing::Loaded;
using testing::MakeSnapshot;
using testing::ThreeSiteFleet;

RoutingRequest Request(int32_t prompt) {
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = prompt;
  request.expected_output_tokens = 100;
  return request;
}

// A tokenfab node's /load, as recorded:
//   {"running": 3, "waiting": 1, "queue_tokens": {"prefill": 3072, "decode_sequences": 2,
//    "kv": 9100}, "step_model": {"base_us": 3000, "prefill_token_us": 90,
//    "decode_sequence_us": 400, "kv_token_us": 0.05}, ...}
fleet::UpstreamState RecordedNode() {
  fleet::UpstreamState s = Loaded(3, 1, 55);
  s.prefill_tokens_queued = 3072;
  s.decode_sequences = 2;
  s.kv_tokens = 9100;
  s.step_model = {
      .base_us = 3000, .prefill_token_us = 90, .decode_sequence_us = 400, .kv_token_us = 0.05};
  return s;
}

TEST(LatencyPredictorTest, TtftFromTheQueueInTokensAndTheStepModel) {
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {RecordedNode(), {}, {}});
  const LatencyPrediction p = PredictLatency(Request(1'000), *snapshot, 0);
  EXPECT_TRUE(p.step_model);
  EXPECT_DOUBLE_EQ(p.rtt_ms, 12);  // the hub's configured path
  EXPECT_DOUBLE_EQ(p.retransmit_ms, 0);
  // Every step carries 3000 + 2 x 400 + 9100 x 0.05 = 4255 µs of base and decode work.
  // Ahead: 3072 x 90 = 276,480 µs in 2 chunks of 2048: + 8,510 = 284.99 ms (not the reported 55).
  EXPECT_NEAR(p.queue_ms, 284.99, 1e-9);
  // Its own 1,000 tokens: 90,000 + one step's 4,255 µs.
  EXPECT_NEAR(p.prefill_ms, 94.255, 1e-9);
  EXPECT_NEAR(p.ttft_ms, 12 + 284.99 + 94.255, 1e-9);
  // TPOT: 3 running + 1 waiting + itself = 5 sequences over 9,100 + 3,072 + 1,000 K/V:
  // 3000 + 5 x 400 + 13,172 x 0.05 = 5,658.6 µs.
  EXPECT_NEAR(p.tpot_ms, 5.6586, 1e-9);
}

TEST(LatencyPredictorTest, CachedPrefixIsNotPrefilledAgain) {
  fleet::UpstreamState s = RecordedNode();
  s.cached_blocks = std::make_shared<const fleet::BlockHashSet>(std::vector<uint64_t>{1, 2, 3});
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {s, {}, {}});
  RoutingRequest request = Request(1'000);
  const std::vector<uint64_t> chain = {1, 2, 3, 4};
  request.block_hashes = chain;
  request.block_tokens = 250;
  const LatencyPrediction p = PredictLatency(request, *snapshot, 0);
  EXPECT_EQ(p.cached_tokens, 750);
  EXPECT_NEAR(p.prefill_ms, (250 * 90 + 4255) / 1000.0, 1e-9);
}

TEST(LatencyPredictorTest, LearnedModelWithCountsOnly) {
  // A vLLM upstream: counts but no tokens; a learned model without a K/V term.
  fleet::UpstreamState s = Loaded(4, 2, -1);
  s.step_model = {.base_us = 5000, .prefill_token_us = 100, .decode_sequence_us = 500};
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {{}, s, {}});
  const LatencyPrediction p = PredictLatency(Request(500), *snapshot, 1);
  // Two waiting requests taken as long as this one: 1,000 tokens at 100 µs, one step of
  // 5000 + 4 x 500.
  EXPECT_NEAR(p.queue_ms, 107, 1e-9);
  EXPECT_NEAR(p.prefill_ms, 57, 1e-9);
  EXPECT_NEAR(p.ttft_ms, 1.5 + 107 + 57, 1e-9);
  EXPECT_NEAR(p.tpot_ms, (5000 + 7 * 500) / 1000.0, 1e-9);
}

TEST(LatencyPredictorTest, WithoutAModelFallsBackToTheMeasuredRates) {
  fleet::UpstreamState s = Loaded(3, 2, 40);
  s.tpot_ms = 21;
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {s, {}, {}});
  const LatencyPrediction p = PredictLatency(Request(2'000), *snapshot, 0);
  EXPECT_FALSE(p.step_model);
  EXPECT_DOUBLE_EQ(p.queue_ms, 40);
  EXPECT_DOUBLE_EQ(p.prefill_ms, 200);  // 2,000 tokens at the nominal 10,000 tokens/s
  EXPECT_DOUBLE_EQ(p.ttft_ms, 252);
  EXPECT_DOUBLE_EQ(p.tpot_ms, 21);
}

TEST(LatencyPredictorTest, JitterAndLossAddTheExpectedRetransmission) {
  fleet::NetworkPath path;
  path.rtt_ms = 12;
  path.jitter_ms = 0.05;
  path.loss = 1e-3;
  // 2,000 tokens x 4 bytes = 8,000 bytes: 6 packets of 1,448, plus the first response packet.
  // P(any of 7 lost) = 1 - 0.999^7 = 0.006979035..., RTO = max(200, 12.2) = 200 ms.
  EXPECT_NEAR(RetransmitDelayMs(path, 12, 2'000), 0.05 + 0.0069790349650 * 200, 1e-9);
  // A long path's RTO is its RTT plus four jitters.
  path.jitter_ms = 20;
  path.loss = 0.5;
  EXPECT_NEAR(RetransmitDelayMs(path, 150, 1), 20 + 0.75 * 230, 1e-9);
  path.loss = 0;
  path.jitter_ms = 0;
  EXPECT_EQ(RetransmitDelayMs(path, 150, 1), 0);
}

TEST(LatencyPredictorTest, SitePathJitterAndLossReachTheTtft) {
  fleet::FleetSpec spec = ThreeSiteFleet()->spec();
  for (fleet::NetworkLink& link : spec.network) {
    if (link.site == "hub") {
      link.path.jitter_ms = 2;
      link.path.loss = 0.01;
    }
  }
  auto built = fleet::FleetConfig::Create(spec);
  TF_CHECK(built.ok());
  auto config = std::make_shared<const fleet::FleetConfig>(*std::move(built));
  auto snapshot = MakeSnapshot(config, {RecordedNode(), {}, {}});
  const LatencyPrediction p = PredictLatency(Request(100), *snapshot, 0);
  // 400 bytes: 1 packet + the response: P = 1 - 0.99^2 = 0.0199, RTO 200 ms.
  EXPECT_NEAR(p.retransmit_ms, 2 + 0.0199 * 200, 1e-9);
  EXPECT_NEAR(p.ttft_ms, p.rtt_ms + p.retransmit_ms + p.queue_ms + p.prefill_ms, 1e-9);
}

}  // namespace
}  // namespace tokenfab::routing
