// The flex tier's wait for spare capacity, end to end: a flex request waits while the valley
// gate releases no room at a ranked upstream (no free slot, or too thin an interactive SLO
// margin), is served once it does, and is refused with OpenAI's 429 (with Retry-After) once it
// has waited options.flex_max_wait; an interactive request that arrives while it waits is served
// before it when room frees.
#include <future>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::ChatBody;
using testing::ClientResult;
using testing::FakeUpstream;
using ::testing::HasSubstr;

// The upstream's /load: every one of its slots busy, or all free.
constexpr char kFull[] = R"({"running":2,"waiting":0,"max_running":2})";
constexpr char kIdle[] = R"({"running":0,"waiting":0,"max_running":2})";

// Free slots (2 of 64 busy) and a step model of 10 ms + 1 ms per decoding sequence: with 25
// sequences decoding an interactive probe is predicted a TPOT of 10 + 26 = 36 ms, over the
// tightest tier objective of a new ledger (premium, 30 ms); with 5, 16 ms.
constexpr char kThinMargin[] =
    R"({"running":2,"waiting":0,"max_running":64,)"
    R"("queue_tokens":{"prefill":0,"decode_sequences":25,"kv":0},)"
    R"("step_model":{"base_us":10000,"prefill_token_us":0,"decode_sequence_us":1000,"kv_token_us":0}})";
constexpr char kWideMargin[] =
    R"({"running":2,"waiting":0,"max_running":64,)"
    R"("queue_tokens":{"prefill":0,"decode_sequences":5,"kv":0},)"
    R"("step_model":{"base_us":10000,"prefill_token_us":0,"decode_sequence_us":1000,"kv_token_us":0}})";

class GatewayFlexTest : public GatewayRelayTest {
 protected:
  ClientResult FlexChat(std::string_view content, bool stream = false) {
    json::value body = json::parse(ChatBody("m", content, stream));
    body.as_object()["service_tier"] = "flex";
    return client_.Post(gateway_->port(), "/v1/chat/completions", json::serialize(body),
                        {.api_key = key_});
  }
  // Until the gateway's view of upstream 0 has `running` requests running.
  bool SeesRunning(int32_t running) {
    return WaitFor([&] { return gateway_->Snapshot()->state(0).running == running; });
  }
};

TEST_F(GatewayFlexTest, AFlexRequestWaitsForAFreeSlotAndIsServedWhenOneFrees) {
  FakeUpstream& up = AddUpstream({.tokens = 2});
  up.SetLoadJson(kFull);
  GatewayOptions options;
  options.flex_max_wait = 5s;
  StartGateway(options);
  ASSERT_TRUE(SeesRunning(2));
  std::future<ClientResult> waiting =
      std::async(std::launch::async, [&] { return FlexChat("one two"); });
  // Several polls of the full upstream pass: the request is still held at the gateway.
  EXPECT_EQ(waiting.wait_for(200ms), std::future_status::timeout);
  EXPECT_EQ(up.requests(), 0) << "a flex request goes out only into a free slot";
  up.SetLoadJson(kIdle);
  ASSERT_EQ(waiting.wait_for(3s), std::future_status::ready);
  const ClientResult served = waiting.get();
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(json::parse(served.body).at("service_tier"), "flex");
  EXPECT_EQ(up.requests(), 1);
}

TEST_F(GatewayFlexTest, AFlexRequestWaitsWhileTheInteractiveSloMarginIsThinDespiteFreeSlots) {
  FakeUpstream& up = AddUpstream({.tokens = 2});
  up.SetLoadJson(kThinMargin);
  GatewayOptions options;
  options.flex_max_wait = 5s;
  StartGateway(options);
  ASSERT_TRUE(SeesRunning(2));
  std::future<ClientResult> waiting =
      std::async(std::launch::async, [&] { return FlexChat("one two"); });
  EXPECT_EQ(waiting.wait_for(300ms), std::future_status::timeout);
  EXPECT_EQ(up.requests(), 0) << "62 free slots, but the interactive SLO margin is thin";
  up.SetLoadJson(kWideMargin);
  ASSERT_EQ(waiting.wait_for(3s), std::future_status::ready);
  const ClientResult served = waiting.get();
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(up.requests(), 1);
}

TEST_F(GatewayFlexTest, AFlexRequestThatFindsNoRoomInTimeGetsA429WithRetryAfter) {
  FakeUpstream& up = AddUpstream({.tokens = 2});
  up.SetLoadJson(kFull);
  GatewayOptions options;
  options.flex_max_wait = 150ms;
  StartGateway(options);
  ASSERT_TRUE(SeesRunning(2));
  const auto start = std::chrono::steady_clock::now();
  const ClientResult refused = FlexChat("one two");
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 150ms) << "it waits the whole flex_max_wait first";
  EXPECT_LT(waited, 2s);
  ASSERT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("Retry-After"), "5");
  const json::value error = json::parse(refused.body).at("error");
  EXPECT_EQ(error.at("type"), "rate_limit_error");
  EXPECT_EQ(error.at("code"), "flex_capacity_unavailable");
  EXPECT_FALSE(error.at("message").as_string().empty());
  EXPECT_TRUE(error.as_object().contains("param"));
  EXPECT_EQ(up.requests(), 0);
  // A default-tier request is not held back by the missing spare capacity.
  const ClientResult plain = Chat("one two", false);
  EXPECT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(up.requests(), 1);
}

TEST_F(GatewayFlexTest, AnInteractiveRequestArrivingLaterIsServedBeforeAWaitingFlexOne) {
  // One slot, taken, with 10,800 prompt tokens queued (about 1,087 ms ahead at 100 µs each):
  // the standard tier's 1,000 ms TTFT cannot be met now, but can by waiting; the flex request
  // finds no free slot. Answers take three tokens 60 ms apart, so the first one sent holds the
  // only slot a while.
  FakeUpstream& up =
      AddUpstream({.tokens = 3, .token_interval = std::chrono::milliseconds(60), .max_running = 1});
  up.SetLoadJson(R"({"running":1,"waiting":4,"max_running":1,)"
                 R"("queue_tokens":{"prefill":10800,"decode_sequences":1,"kv":0},)"
                 R"("step_model":{"base_us":1000,"prefill_token_us":100,)"
                 R"("decode_sequence_us":100,"kv_token_us":0}})");
  GatewayOptions options;
  options.flex_max_wait = 10s;
  // Polls far apart next to a loopback request's transit: a poll answered just before the
  // first request reached the node (its slot free) and read just after the request left the
  // gateway is rare.
  options.poll_interval = 100ms;
  StartGateway(options);
  ASSERT_TRUE(
      WaitFor([&] { return gateway_->Snapshot()->state(0).prefill_tokens_queued == 10'800; }));
  std::future<ClientResult> flex =
      std::async(std::launch::async, [&] { return FlexChat("flex-line", true); });
  EXPECT_EQ(flex.wait_for(50ms), std::future_status::timeout);
  ASSERT_EQ(up.requests(), 0) << "the flex request waits for a free slot";
  std::future<ClientResult> interactive =
      std::async(std::launch::async, [&] { return Chat("interactive-line", true); });
  ASSERT_TRUE(WaitFor([&] {
    return client_.Get(gateway_->port(), "/metrics")
               .body.find("tokenfab_gateway_slo_queued_total 1") != std::string::npos;
  }));
  ASSERT_EQ(up.requests(), 0);
  // The queue drains (the load is now the streams open there, one slot): both waiters are asked
  // again, the interactive band first; it takes the slot and the flex request waits for it.
  up.SetLoadJson("");
  ASSERT_TRUE(WaitFor([&] { return up.requests() >= 1; }));
  std::this_thread::sleep_for(30ms);  // well within the first answer's 120 ms
  ASSERT_EQ(up.requests(), 1) << "the flex request waits while the only slot is taken";
  EXPECT_THAT(up.received()[0].body, HasSubstr("interactive-line"));
  const ClientResult served = interactive.get();
  EXPECT_EQ(served.status, 200) << served.body;
  const ClientResult later = flex.get();
  ASSERT_EQ(later.status, 200) << later.body;
  ASSERT_EQ(up.requests(), 2);
  EXPECT_THAT(up.received()[1].body, HasSubstr("flex-line"));
}

}  // namespace
}  // namespace tokenfab::gateway
