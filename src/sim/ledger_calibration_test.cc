#include "tokenfab/sim/ledger_calibration.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/example_fleet.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::sim {
namespace {

// The step model the requests below were served on.
constexpr double kBaseUs = 5000;
constexpr double kPrefillTokenUs = 20;
constexpr double kDecodeSequenceUs = 300;

// What a lockstep server on that model records at a gateway `rtt_ms` away: waves of k identical
// requests arrive together (waves never overlap); one step prefills every prompt of the wave
// (base + prefill x k x prompt), then each decode step serves the k sequences (base + decode x k).
// The ledger keeps whole µs.
std::vector<ledger::UsageEvent> LockstepEvents(const std::string& upstream, double rtt_ms,
                                               int waves) {
  std::vector<ledger::UsageEvent> events;
  for (int w = 0; w < waves; ++w) {
    const int k = 1 + w % 8;
    const int prompt = 200 + 97 * (w % 5);
    const int output = 20 + w % 7;
    const int64_t start = 1'700'000'000'000'000 + int64_t{w} * 10'000'000;
    const double ttft_us = rtt_ms * 1000 + kBaseUs + kPrefillTokenUs * k * prompt;
    const double tpot_us = kBaseUs + kDecodeSequenceUs * k;
    for (int i = 0; i < k; ++i) {
      ledger::UsageEvent e;
      e.request_id = upstream + "-" + std::to_string(w) + "-" + std::to_string(i);
      e.tenant = "acme";
      e.key_id = "KEY000000001";
      e.model = "qwen3-8b";
      e.region = "cn-west";
      e.site = "hub-west";
      e.upstream = upstream;
      e.prompt_tokens = prompt + 64;
      e.cached_tokens = 64;  // a cached system prompt: only the rest is prefilled
      e.completion_tokens = output;
      e.ttft_micros = static_cast<int64_t>(ttft_us);
      e.tpot_micros = static_cast<int64_t>(tpot_us);
      e.started_micros = start;
      e.finished_micros = start + e.ttft_micros + static_cast<int64_t>(tpot_us * (output - 1));
      events.push_back(e);
    }
  }
  return events;
}

const UpstreamCalibration& Find(const LedgerCalibration& c, const std::string& name) {
  for (const UpstreamCalibration& u : c.upstreams) {
    if (u.upstream == name) return u;
  }
  ADD_FAILURE() << "no " << name;
  return c.upstreams.front();
}

TEST(LedgerCalibrationTest, RequestsServedOnAKnownModelGiveItBack) {
  const auto fleet = testing::ExampleFleet();  // hub-node-1 at hub-west, 12.5 ms away
  std::vector<ledger::UsageEvent> events = LockstepEvents("hub-node-1", 12.5, 80);
  const CalibrationOptions options{.model = "qwen3-8b"};
  const LedgerCalibration c = CalibrateFromEvents(events, *fleet, options);
  const UpstreamCalibration& hub = Find(c, "hub-node-1");
  ASSERT_TRUE(hub.fitted);
  EXPECT_EQ(hub.ttft_samples, static_cast<int64_t>(events.size()));
  // On a lockstep server the features (sequences decoding together, tokens prefilled together)
  // are exact; the only error is the ledger's truncation to whole µs (< 1 µs of steps of 5 ms
  // and more), so the model comes back within 0.1 %. A wrong RTT (12.5 ms) or batch count
  // misses it by far more.
  EXPECT_NEAR(hub.model.base_us, kBaseUs, kBaseUs * 1e-3);
  EXPECT_NEAR(hub.model.per_prefill_token_us, kPrefillTokenUs, kPrefillTokenUs * 1e-3);
  EXPECT_NEAR(hub.model.per_decode_sequence_us, kDecodeSequenceUs, kDecodeSequenceUs * 1e-3);
  EXPECT_LT(hub.ttft_error, 1e-3);
  EXPECT_LT(hub.tpot_error, 1e-3);

  SimWorkloadSpec spec;
  ApplyCalibration(c, &spec);
  ASSERT_EQ(spec.profiles.count("hub-node-1"), 1u);
  EXPECT_EQ(spec.profiles.count("coast-node-1"), 0u);  // nothing recorded: keeps its roofline
  EXPECT_NEAR(spec.profiles.at("hub-node-1").StepMicros(1000, 8, 0),
              kBaseUs + 1000 * kPrefillTokenUs + 8 * kDecodeSequenceUs, 10);
}

TEST(LedgerCalibrationTest, TooFewSamplesKeepTheRooflineAndSaySo) {
  const auto fleet = testing::ExampleFleet();
  std::vector<ledger::UsageEvent> events = LockstepEvents("hub-node-1", 12.5, 80);
  const std::vector<ledger::UsageEvent> few = LockstepEvents("coast-node-1", 1.5, 3);  // 6
  events.insert(events.end(), few.begin(), few.end());
  std::vector<ledger::UsageEvent> other_model = LockstepEvents("edge-node-1", 38, 40);
  for (auto& e : other_model) e.model = "llama3-70b";  // not the model simulated
  events.insert(events.end(), other_model.begin(), other_model.end());
  ledger::UsageEvent ghost = events.front();
  ghost.upstream = "retired-node";
  events.push_back(ghost);
  const CalibrationOptions options{.model = "qwen3-8b", .min_samples = 20};
  const LedgerCalibration c = CalibrateFromEvents(events, *fleet, options);
  EXPECT_TRUE(Find(c, "hub-node-1").fitted);
  const UpstreamCalibration& coast = Find(c, "coast-node-1");
  EXPECT_FALSE(coast.fitted);
  EXPECT_EQ(coast.ttft_samples, 6);
  EXPECT_FALSE(Find(c, "edge-node-1").fitted);
  EXPECT_EQ(Find(c, "edge-node-1").ttft_samples, 0);
  EXPECT_EQ(c.unknown_upstreams, std::vector<std::string>{"retired-node"});
  SimWorkloadSpec spec;
  const std::string text = FormatCalibration(c, *fleet, spec, options);
  EXPECT_NE(text.find("coast-node-1: 6 TTFT / 6 TPOT samples, fewer than 20: keeps its roofline"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("retired-node: in the ledger but not in the fleet"), std::string::npos);
  EXPECT_NE(text.find("hub-node-1: 360 TTFT / 360 TPOT samples; fitted base 5000 us"),
            std::string::npos)
      << text;
}

TEST(LedgerCalibrationTest, ReadsASqliteLedger) {
  const auto fleet = testing::ExampleFleet();
  const std::string path = ::testing::TempDir() + "/ledger_calibration_test.db";
  std::filesystem::remove(path);
  const std::vector<ledger::UsageEvent> events = LockstepEvents("hub-node-1", 12.5, 40);
  {
    auto store = ledger::OpenStore(path);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->InsertUsage(events).ok());
  }
  const CalibrationOptions options{.model = "qwen3-8b"};
  auto read = CalibrateFromLedger(path, *fleet, options);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->events, static_cast<int64_t>(events.size()));
  EXPECT_EQ(read->location, path);
  const LedgerCalibration direct = CalibrateFromEvents(events, *fleet, options);
  const engine::PerformanceModel& a = Find(*read, "hub-node-1").model;
  const engine::PerformanceModel& b = Find(direct, "hub-node-1").model;
  EXPECT_EQ(a.base_us, b.base_us);
  EXPECT_EQ(a.per_prefill_token_us, b.per_prefill_token_us);
  EXPECT_EQ(a.per_decode_sequence_us, b.per_decode_sequence_us);
}

TEST(LedgerCalibrationTest, AMissingOrBrokenLedgerIsAClearError) {
  const auto fleet = testing::ExampleFleet();
  const std::string missing = ::testing::TempDir() + "/no_such_ledger.db";
  std::filesystem::remove(missing);
  auto result = CalibrateFromLedger(missing, *fleet, {});
  EXPECT_TRUE(absl::IsNotFound(result.status())) << result.status();
  EXPECT_NE(result.status().message().find(missing), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(missing));  // never created by reading it

  const std::string broken = ::testing::TempDir() + "/broken_ledger.db";
  std::ofstream(broken) << "this is not a database, only some text long enough to be read";
  result = CalibrateFromLedger(broken, *fleet, {});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find(broken), std::string::npos) << result.status();
}

}  // namespace
}  // namespace tokenfab::sim
