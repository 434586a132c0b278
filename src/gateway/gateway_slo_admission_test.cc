// SLO admission end to end: upstreams whose /load reports a queue in tokens, and the gateway
// refusing, holding or sending requests by the TTFT it predicts for them.
#include <future>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

using testing::ClientResult;
using testing::FakeUpstream;
using ::testing::HasSubstr;

// A node whose /load says `prefill` tokens wait ahead, at 100 µs each (steps of 1 ms base plus
// 0.1 ms for its one decoding sequence): a new prompt waits about prefill x 0.1 ms.
std::string QueuedLoad(int prefill) {
  return fmt::format(
      R"({{"running":1,"waiting":4,"max_running":64,
          "queue_tokens":{{"prefill":{},"decode_sequences":1,"kv":0}},
          "step_model":{{"base_us":1000,"prefill_token_us":100,"decode_sequence_us":100,
                         "kv_token_us":0}}}})",
      prefill);
}

TEST_F(GatewayRelayTest, SloAdmissionRefusesWhatCannotMeetTheTtftAndHoldsWhatCan) {
  FakeUpstream& up = AddUpstream({.tokens = 2});
  // 20,000 tokens ahead: 2,000 ms + 10 steps of 1.1 ms: the standard tier's 1,000 ms TTFT cannot
  // be met by waiting either (the drain, about 1.01 s, outlasts the request's latest start).
  up.SetLoadJson(QueuedLoad(20'000));
  GatewayOptions options;
  options.slo_queue_per_tenant = 1;
  StartGateway(options);
  ASSERT_TRUE(
      WaitFor([&] { return gateway_->Snapshot()->state(0).prefill_tokens_queued == 20'000; }));
  const ClientResult refused = Chat("a", true);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("slo_capacity_exhausted"));
  EXPECT_EQ(refused.header("Retry-After"), "2");  // ceil of the ~1.01 s drain
  EXPECT_TRUE(up.received().empty()) << "nothing is sent to miss";

  // 10,800 tokens ahead: 1,086.6 ms, some 90 ms over: the request waits in the SLO queue.
  up.SetLoadJson(QueuedLoad(10'800));
  ASSERT_TRUE(
      WaitFor([&] { return gateway_->Snapshot()->state(0).prefill_tokens_queued == 10'800; }));
  std::future<ClientResult> held = std::async(std::launch::async, [&] { return Chat("b", true); });
  ASSERT_TRUE(WaitFor([&] {
    return client_.Get(gateway_->port(), "/metrics")
               .body.find("tokenfab_gateway_slo_queued_total 1") != std::string::npos;
  }));
  // The tenant's one place in the queue is taken: the next is refused with 429.
  const ClientResult over = Chat("c", true);
  EXPECT_EQ(over.status, 429) << over.body;
  EXPECT_THAT(over.body, HasSubstr("rate_limit_exceeded"));
  EXPECT_EQ(over.header("Retry-After"), "1");
  // The node drains: the held request goes out and is served.
  up.SetLoadJson(R"({"running":0,"waiting":0,"max_running":64})");
  const ClientResult served = held.get();
  EXPECT_EQ(served.status, 200);
  EXPECT_TRUE(served.saw_done());
  EXPECT_EQ(up.received().size(), 1u);
}

TEST_F(GatewayRelayTest, BestEffortTiersAreSentWithoutWaiting) {
  FakeUpstream& up = AddUpstream({.tokens = 2});
  up.SetLoadJson(QueuedLoad(20'000));  // about 2 s ahead: the 1,000 ms TTFT would be refused
  GatewayOptions options;
  options.best_effort_tiers = {"standard"};
  StartGateway(options);
  ASSERT_TRUE(
      WaitFor([&] { return gateway_->Snapshot()->state(0).prefill_tokens_queued == 20'000; }));
  const ClientResult sent = Chat("a", true);
  EXPECT_EQ(sent.status, 200) << sent.body;
  EXPECT_EQ(up.received().size(), 1u);
}

}  // namespace
}  // namespace tokenfab::gateway
