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

// The hub of bench/gateway/policies.sh as its /load read mid-run (rate scale 2, TPOT objective
// 100 ms): {"running": 12, "waiting": 0, "queue_tokens": {"prefill": 5711,
// "decode_sequences": 11, "kv": 58813}, "tpot_ms": 17.2, "step_model": {"base_us": 4000,
// "prefill_token_us": 40, "decode_sequence_us": 200, "kv_token_us": 0.002}, ...}
fleet::UpstreamState RecordedBusyHub() {
  fleet::UpstreamState s = Loaded(12, 0, 480);
  s.prefill_tokens_queued = 5711;
  s.decode_sequences = 11;
  s.kv_tokens = 58813;
  s.tpot_ms = 17.2;
  s.step_model = {
      .base_us = 4000, .prefill_token_us = 40, .decode_sequence_us = 200, .kv_token_us = 0.002};
  return s;
}

TEST(LatencyPredictorTest, TpotCarriesThePrefillInterferenceTheNodeMeasures) {
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {RecordedBusyHub(), {}, {}});
  const LatencyPrediction p = PredictLatency(Request(7'001), *snapshot, 0);
  // Its decode step: 13 sequences (12 running and itself) over 58,813 + 5,711 + 7,001 K/V:
  // 4000 + 2600 + 143.05 = 6,743.05 µs. The batch decoding now: 4000 + 2200 + 117.626 =
  // 6,317.626 µs, where the node measured 17,200 µs per token: 10,882.374 µs of prefill chunks.
  EXPECT_NEAR(p.interference_ms, 10.882374, 1e-9);
  EXPECT_NEAR(p.tpot_ms, 6.74305 + 10.882374, 1e-9);
}

TEST(LatencyPredictorTest, LearnedInterferenceTakesPrecedenceOverTheMeasuredTpot) {
  // The gateway learned 9.5 ms from finished requests: the node's 17.2 ms (taken while a burst's
  // prefill filled every step) no longer counts, and an idle node gets it too.
  fleet::UpstreamState s = RecordedBusyHub();
  s.tpot_interference_ms = 9.5;
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {s, {}, {}});
  const LatencyPrediction p = PredictLatency(Request(7'001), *snapshot, 0);
  EXPECT_DOUBLE_EQ(p.interference_ms, 9.5);
  EXPECT_NEAR(p.tpot_ms, 6.74305 + 9.5, 1e-9);
  s.running = 0;
  s.decode_sequences = 0;
  s.kv_tokens = 0;
  s.prefill_tokens_queued = 0;
  auto idle = MakeSnapshot(ThreeSiteFleet(), {s, {}, {}});
  EXPECT_NEAR(PredictLatency(Request(1'000), *idle, 0).tpot_ms, 4.202 + 9.5, 1e-9);
}

TEST(LatencyPredictorTest, NoInterferenceWhileNothingDecodes) {
  // The node's TPOT was measured on a batch that has finished: an idle node's steps carry no
  // one else's prefill.
  fleet::UpstreamState s = RecordedBusyHub();
  s.running = 0;
  s.decode_sequences = 0;
  s.kv_tokens = 0;
  s.prefill_tokens_queued = 0;
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {s, {}, {}});
  const LatencyPrediction p = PredictLatency(Request(1'000), *snapshot, 0);
  EXPECT_EQ(p.interference_ms, 0);
  EXPECT_NEAR(p.tpot_ms, (4000 + 200 + 0.002 * 1'000) / 1000.0, 1e-9);
}

TEST(LatencyPredictorTest, MeasuredTpotBelowTheDecodeStepAddsNothing) {
  fleet::UpstreamState s = RecordedBusyHub();
  s.tpot_ms = 5;  // below the 6.3 ms the model gives the batch now
  auto snapshot = MakeSnapshot(ThreeSiteFleet(), {s, {}, {}});
  const LatencyPrediction p = PredictLatency(Request(7'001), *snapshot, 0);
  EXPECT_EQ(p.interference_ms, 0);
  EXPECT_NEAR(p.tpot_ms, 6.74305, 1e-9);
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
