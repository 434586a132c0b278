// The gateway end to end in one process: real HTTP servers as upstreams (FakeUpstream), a real
// SQLite ledger, the real gateway between them, and a real HTTP client.
#include <filesystem>
#include <future>
#include <thread>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"
#include "tokenfab/tokenizer/tokenizer.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::ChatBody;
using testing::ClientResult;
using testing::FailMode;
using testing::FakeUpstream;
using testing::FakeUpstreamOptions;
using testing::PostOptions;
using testing::TestClient;
using testing::TestFleetToml;
using testing::TestUpstream;

TEST_F(GatewayRelayTest, ServiceTiersAreEchoedPrioritisedAndBilledAtTheirPrice) {
  FakeUpstream& up = AddUpstream({.tokens = 6});
  StartGateway();
  // 6 prompt and 6 completion tokens: 6 * 1 + 6 * 2 = 18 micro-CNY at the default tier.
  struct Case {
    const char* asked;
    const char* served;
    const char* node_priority;
    int64_t cost;
  };
  for (const Case& c : {Case{"auto", "default", "1", 18}, Case{"flex", "flex", "-1", 9},
                        Case{"priority", "priority", "2", 36}}) {
    json::value body = json::parse(ChatBody("m", "one two three four five six", false));
    body.as_object()["service_tier"] = c.asked;
    const ClientResult r = client_.Post(gateway_->port(), "/v1/chat/completions",
                                        json::serialize(body), {.api_key = key_});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("service_tier"), c.served);
    EXPECT_EQ(up.received().back().headers.Get("x-tokenfab-priority"), c.node_priority);
    const ledger::UsageEvent e = Recorded(r);
    EXPECT_EQ(e.service_tier, c.served);
    EXPECT_EQ(e.billed_tier, c.served);
    EXPECT_EQ(e.cost, c.cost) << c.asked;
  }
  // A stream names the tier in every chunk.
  json::value body = json::parse(ChatBody("m", "one two", true));
  body.as_object()["service_tier"] = "flex";
  const ClientResult r = client_.Post(gateway_->port(), "/v1/chat/completions",
                                      json::serialize(body), {.api_key = key_});
  ASSERT_TRUE(r.saw_done());
  ASSERT_GE(r.events.size(), 2u);
  for (size_t i = 0; i + 1 < r.events.size(); ++i) {
    EXPECT_EQ(json::parse(r.events[i]).at("service_tier"), "flex") << r.events[i];
  }
}

TEST_F(GatewayRelayTest, StreamsChunkByChunkAndRecordsWhatTheClientWasServed) {
  FakeUpstream& up = AddUpstream({.tokens = 6, .cached_tokens = 2});
  StartGateway();
  const ClientResult r = Chat("one two three four five", /*stream=*/true);
  ASSERT_TRUE(r.done.ok()) << r.done;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u0");
  EXPECT_EQ(r.header("x-tokenfab-region"), "r0");
  EXPECT_TRUE(r.saw_done());
  EXPECT_EQ(r.text(), "u0x0 u0x1 u0x2 u0x3 u0x4 u0x5 ");
  EXPECT_FALSE(r.usage().has_value()) << "the client did not ask for usage";

  // The upstream was asked for usage and told the tenant and priority.
  const std::vector<testing::ReceivedRequest> received = up.received();
  ASSERT_EQ(received.size(), 1u);
  const testing::ReceivedRequest& sent = received[0];
  EXPECT_EQ(sent.headers.Get("x-tokenfab-tenant"), "acme");
  EXPECT_EQ(sent.headers.Get("x-tokenfab-priority"), "1");      // the standard tier's
  EXPECT_EQ(sent.headers.Get("x-tokenfab-tpot-slo-ms"), "50");  // and its TPOT objective
  EXPECT_EQ(sent.headers.Get("x-request-id"), r.header("x-request-id"));
  EXPECT_EQ(json::parse(sent.body).at("stream_options").at("include_usage"), true);

  const ledger::UsageEvent e = Recorded(r);
  EXPECT_EQ(e.tenant, "acme");
  EXPECT_EQ(e.model, "m");
  EXPECT_EQ(e.upstream, "u0");
  EXPECT_EQ(e.region, "r0");
  EXPECT_EQ(e.site, "s0");
  EXPECT_EQ(e.status, "ok");
  EXPECT_EQ(e.prompt_tokens, 5);
  EXPECT_EQ(e.cached_tokens, 2);
  EXPECT_EQ(e.completion_tokens, 6);
  // (5 - 2) * 1 + 2 * 0.5 + 6 * 2 per million, in micro-CNY.
  EXPECT_EQ(e.cost, 3 + 1 + 12);
  EXPECT_EQ(e.currency, "CNY");
  EXPECT_GT(e.energy_wh, 0);
  // Its energy cost, stored next to the price charged: the energy at s0's 0.1 CNY a kWh.
  ASSERT_TRUE(e.energy_cost.has_value());
  EXPECT_NEAR(*e.energy_cost, e.energy_wh / 1000 * 0.1, 1e-15);
  EXPECT_GT(e.carbon_g, 0);
  EXPECT_GT(e.ttft_micros, 0);
  EXPECT_GE(e.finished_micros, e.started_micros);
  EXPECT_EQ(gateway_->stats().completed, 1);
}

TEST_F(GatewayRelayTest, ClientThatAsksForUsageGetsTheUpstreamsNumbers) {
  AddUpstream({.tokens = 4});
  StartGateway();
  const ClientResult r = Chat("a b c", true, /*include_usage=*/true);
  ASSERT_TRUE(r.saw_done());
  ASSERT_TRUE(r.usage().has_value());
  EXPECT_EQ(r.usage()->prompt_tokens, 3);
  EXPECT_EQ(r.usage()->completion_tokens, 4);
  const ledger::UsageEvent e = Recorded(r);
  EXPECT_EQ(e.prompt_tokens, r.usage()->prompt_tokens);
  EXPECT_EQ(e.completion_tokens, r.usage()->completion_tokens);
}

TEST_F(GatewayRelayTest, WholeAnswersPassThroughWithTheHeaders) {
  AddUpstream({.tokens = 3});
  StartGateway();
  const ClientResult r = Chat("x y", /*stream=*/false);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u0");
  EXPECT_EQ(r.text(), "u0x0 u0x1 u0x2 ");
  ASSERT_TRUE(r.usage().has_value());
  const ledger::UsageEvent e = Recorded(r);
  EXPECT_EQ(e.completion_tokens, 3);
  EXPECT_EQ(e.prompt_tokens, 2);
}

TEST_F(GatewayRelayTest, RefusesMissingAndWrongKeysAndUnknownModels) {
  AddUpstream();
  StartGateway();
  ClientResult r = client_.Post(gateway_->port(), "/v1/chat/completions", ChatBody("m", "hi", true),
                                {});
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.error().value_or(""), HasSubstr("API key"));
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "gw-test");
  r = Chat("hi", true, false, {.api_key = "tf-AAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"});
  EXPECT_EQ(r.status, 401);
  r = client_.Post(gateway_->port(), "/v1/chat/completions", ChatBody("other", "hi", true),
                   {.api_key = key_});
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("model_not_found"));
  r = client_.Post(gateway_->port(), "/v1/chat/completions", "{\"model\": \"m\"}",
                   {.api_key = key_});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(upstreams_[0]->requests(), 0);
}

TEST_F(GatewayRelayTest, RetriesTheNextUpstreamOn5xxBeforeTheFirstByte) {
  FakeUpstream& bad = AddUpstream();
  FakeUpstream& good = AddUpstream({.tokens = 2});
  bad.SetFailure(FailMode::kStatus500);
  StartGateway();
  const ClientResult r = Chat("hello", true);
  ASSERT_TRUE(r.saw_done()) << r.status << " " << r.body;
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u1");
  EXPECT_EQ(r.header("x-tokenfab-attempts"), "2");
  EXPECT_EQ(bad.requests(), 1);
  EXPECT_EQ(good.requests(), 1);
  EXPECT_EQ(Recorded(r).upstream, "u1");
  EXPECT_EQ(gateway_->stats().retries, 1);
}

TEST_F(GatewayRelayTest, RetriesWhenTheUpstreamCannotBeReached) {
  FakeUpstream& gone = AddUpstream();
  AddUpstream({.tokens = 2});
  StartGateway({.down_after = 1000});  // the poller must not hide it first
  gone.Stop();
  const ClientResult r = Chat("hello", true);
  ASSERT_TRUE(r.saw_done());
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u1");
}

TEST_F(GatewayRelayTest, EveryUpstreamFailingIsA502AndRecorded) {
  AddUpstream().SetFailure(FailMode::kStatus500);
  AddUpstream().SetFailure(FailMode::kStatus500);
  StartGateway();
  const ClientResult r = Chat("hello", true);
  EXPECT_EQ(r.status, 500) << "the last upstream's own answer";
  EXPECT_EQ(r.header("x-tokenfab-attempts"), "2");
  const ledger::UsageEvent e = Recorded(r);
  EXPECT_EQ(e.status, "error");
  EXPECT_EQ(e.total_tokens(), 0);
}

TEST_F(GatewayRelayTest, RequestErrorsOfTheUpstreamAreNotRetried) {
  AddUpstream().SetFailure(FailMode::kStatus400);
  FakeUpstream& other = AddUpstream();
  StartGateway();
  const ClientResult r = Chat("hello", true);
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("bad request"));
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u0");
  EXPECT_EQ(other.requests(), 0);
}

TEST_F(GatewayRelayTest, StreamCutMidwayIsBilledForWhatWasDelivered) {
  // Chunks 5 ms apart, so that the three before the cut are on the wire when it comes.
  FakeUpstream& up = AddUpstream({.tokens = 10, .token_interval = 5ms});
  up.SetFailure(FailMode::kCutMidStream, 3);
  AddUpstream();
  StartGateway({}, "[[models]]\nname = \"m\"\nvocab = \"llama3\"\n");
  const ClientResult r = Chat("count these words", true);
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.saw_done());
  EXPECT_EQ(r.text(), "u0x0 u0x1 u0x2 ");
  EXPECT_THAT(r.error().value_or(""), HasSubstr("stopped in the middle"));
  EXPECT_EQ(upstreams_[1]->requests(), 0) << "bytes went out: no retry";
  const ledger::UsageEvent e = Recorded(r);
  EXPECT_EQ(e.status, "aborted");
  auto vocab = tokenizer::LoadVocabJson(*tokenizer::FindVocabFile("llama3"));
  auto tok = tokenizer::Tokenizer::Create(*std::move(vocab));
  EXPECT_EQ(e.completion_tokens,
            static_cast<int64_t>((*tok)->Encode(r.text(), false, false).size()));
  EXPECT_GT(e.prompt_tokens, 3) << "the chat template's tokens count";
}

TEST_F(GatewayRelayTest, ClientThatLeavesCancelsTheUpstreamRequest) {
  FakeUpstream& up = AddUpstream({.tokens = 1000, .token_interval = 5ms});
  StartGateway();
  const ClientResult r = Chat("hello", true, false, {.leave_after_events = 3});
  EXPECT_EQ(r.events.size(), 3u);
  ASSERT_TRUE(WaitFor([&] { return up.cancelled_streams() == 1; }));
  const ledger::UsageEvent e = Recorded(r);
  EXPECT_EQ(e.status, "cancelled");
  EXPECT_GE(e.completion_tokens, 3);
  EXPECT_LT(e.completion_tokens, 1000);
  ASSERT_TRUE(WaitFor([&] { return gateway_->stats().cancelled == 1; }));
}

TEST_F(GatewayRelayTest, RateLimitIs429InOpenAiShapeWithRetryAfter) {
  AddUpstream();
  ledger::Tenant acme = *store_->GetTenant("acme");
  acme.limits.rpm = 2;
  ASSERT_TRUE(store_->UpdateTenant(acme).ok());
  StartGateway();
  EXPECT_EQ(Chat("a", true).status, 200);
  EXPECT_EQ(Chat("a", true).status, 200);
  const ClientResult r = Chat("a", true);
  EXPECT_EQ(r.status, 429);
  EXPECT_FALSE(r.header("Retry-After").empty());
  auto body = json::parse(r.body);
  EXPECT_EQ(body.at("error").at("code"), "rate_limit_exceeded");
  EXPECT_EQ(upstreams_[0]->requests(), 2);
}

TEST_F(GatewayRelayTest, ResidencyKeepsATenantInItsRegions) {
  AddUpstream();
  AddUpstream();
  AddUpstream();
  ledger::Tenant acme = *store_->GetTenant("acme");
  acme.allowed_regions = {"res2"};
  ASSERT_TRUE(store_->UpdateTenant(acme).ok());
  StartGateway();
  for (int i = 0; i < 3; ++i) {
    const ClientResult r = Chat("a", true);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("x-tokenfab-region"), "r2");
  }
  acme.allowed_regions = {"mars"};
  ASSERT_TRUE(store_->UpdateTenant(acme).ok());
  // A new key sees the new record at once (the old one is cached).
  ledger::Authenticator auth(*store_, base::RealClock::Get());
  const std::string key = auth.CreateKey("acme")->plaintext;
  const ClientResult r = Chat("a", true, false, {.api_key = key});
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("region_not_allowed"));
}

TEST_F(GatewayRelayTest, CircuitOpensAfterRepeatedFailures) {
  FakeUpstream& bad = AddUpstream();
  AddUpstream();
  bad.SetFailure(FailMode::kStatus500);
  GatewayOptions options;
  options.breaker.failure_threshold = 2;
  options.breaker.open_micros = 60'000'000;
  StartGateway(options);
  for (int i = 0; i < 5; ++i) {
    const ClientResult r = Chat("a", true);
    ASSERT_TRUE(r.saw_done());
    EXPECT_EQ(r.header("x-tokenfab-upstream"), "u1");
  }
  EXPECT_EQ(bad.requests(), 2) << "open after two failures: no more traffic";
  EXPECT_EQ(gateway_->Snapshot()->state(0).circuit, fleet::CircuitState::kOpen);
}

TEST_F(GatewayRelayTest, PollsMarkUpstreamsDownAndUpAgain) {
  FakeUpstream& flaky = AddUpstream();
  AddUpstream();
  StartGateway({.down_after = 2, .up_after = 2});
  ASSERT_TRUE(WaitFor([&] { return flaky.load_polls() >= 2; }));
  flaky.SetHealthy(false);
  ASSERT_TRUE(WaitFor([&] { return !gateway_->Snapshot()->state(0).healthy; }));
  EXPECT_EQ(Chat("a", true).header("x-tokenfab-upstream"), "u1");
  flaky.SetHealthy(true);
  ASSERT_TRUE(WaitFor([&] { return gateway_->Snapshot()->state(0).healthy; }));
  EXPECT_GE(gateway_->Snapshot()->state(0).rtt_ms, 0);
  EXPECT_EQ(Chat("a", true).header("x-tokenfab-upstream"), "u0");
}

TEST_F(GatewayRelayTest, EachRequestIsCountedOnceByHowItEnded) {
  FakeUpstream& only = AddUpstream();
  StartGateway({.down_after = 2, .up_after = 2});
  ASSERT_TRUE(WaitFor([&] { return only.load_polls() >= 2; }));
  ASSERT_TRUE(Chat("a", true).saw_done());
  // Refused at intake with a 4xx (a wrong key) and with a 5xx (no upstream up).
  EXPECT_EQ(
      Chat("a", true, false, {.api_key = "tf-AAAAAAAAAAAAbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}).status,
      401);
  only.SetHealthy(false);
  ASSERT_TRUE(WaitFor([&] { return !gateway_->Snapshot()->state(0).healthy; }));
  const ClientResult r = Chat("a", true);
  EXPECT_EQ(r.status, 503);
  EXPECT_THAT(r.body, HasSubstr("no_upstream_available"));
  // The answer can reach the client before its outcome is counted.
  ASSERT_TRUE(WaitFor([&] {
    const GatewayStats s = gateway_->stats();
    return s.completed + s.rejected + s.failed >= 3;
  }));
  const GatewayStats stats = gateway_->stats();
  EXPECT_EQ(stats.requests, 3);
  EXPECT_EQ(stats.completed, 1);
  EXPECT_EQ(stats.rejected, 1);
  EXPECT_EQ(stats.failed, 1) << "a 5xx refusal is an error, in the stats as in the metric";
  const std::string metrics = client_.Get(gateway_->port(), "/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("tokenfab_gateway_requests_total{outcome=\"ok\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("tokenfab_gateway_requests_total{outcome=\"rejected\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("tokenfab_gateway_requests_total{outcome=\"error\"} 1"));
}

TEST_F(GatewayRelayTest, RequestsInFlightSpreadABurstBetweenPolls) {
  // One poll at the start (everything idle), the next long after the burst: only the gateway's
  // own count of what it sent since keeps the burst from landing on the first upstream.
  for (int i = 0; i < 3; ++i) AddUpstream({.tokens = 20, .token_interval = 20ms});
  GatewayOptions options;
  options.poll_interval = 60s;
  StartGateway(options);
  ASSERT_TRUE(WaitFor([&] {
    for (const auto& up : upstreams_) {
      if (up->load_polls() == 0) return false;
    }
    return true;
  }));
  std::vector<std::future<ClientResult>> results;
  for (int i = 0; i < 6; ++i) {
    results.push_back(std::async(std::launch::async, [this] { return Chat("a", true); }));
    ASSERT_TRUE(WaitFor([&] {
      int64_t open = 0;
      for (const auto& up : upstreams_) open += up->open_streams();
      return open == i + 1;
    }));
  }
  for (auto& r : results) EXPECT_TRUE(r.get().saw_done());
  for (const auto& up : upstreams_) EXPECT_EQ(up->requests(), 2);
}

TEST_F(GatewayRelayTest, ReloadAddsAndDropsUpstreamsWithoutBreakingStreams) {
  FakeUpstream& old = AddUpstream({.tokens = 30, .token_interval = 10ms});
  StartGateway();
  auto slow = std::async(std::launch::async, [this] { return Chat("a", true); });
  ASSERT_TRUE(WaitFor([&] { return old.open_streams() == 1; }));
  // The new fleet has only a fresh upstream.
  auto fresh = FakeUpstream::Start({.tokens = 2, .name = "fresh"});
  ASSERT_TRUE(fresh.ok());
  auto config = fleet::ParseFleetConfig(TestFleetToml({{.url = (*fresh)->url()}}), "new.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(gateway_->Reload(std::make_shared<const fleet::FleetConfig>(*config)).ok());
  const ClientResult after = Chat("b", true);
  EXPECT_EQ(after.text(), "fresh0 fresh1 ");
  const ClientResult before = slow.get();
  EXPECT_TRUE(before.saw_done());
  EXPECT_EQ(before.header("x-tokenfab-upstream"), "u0");
  EXPECT_EQ(Recorded(before).completion_tokens, 30);
  EXPECT_EQ(gateway_->stats().reloads, 1);
}

TEST_F(GatewayRelayTest, StatusRoutesDescribeTheFleet) {
  FakeUpstream& up = AddUpstream();
  up.SetLoadJson(R"({"running":3,"waiting":1,"max_running":8,"kv_usage":0.5,"queue_delay_ms":7,
                     "block_tokens":16,"prefix_cache":{"block_tokens":16,
                     "block_hashes":["00000000000000aa","00000000000000bb"]}})");
  AddUpstream();
  StartGateway();
  // Both polled: the second's queue (0 ms) is the shortest only once it is known.
  ASSERT_TRUE(WaitFor([&] {
    const auto snapshot = gateway_->Snapshot();
    return snapshot->state(0).running == 3 && snapshot->state(1).queue_delay_ms == 0;
  }));
  ClientResult r = client_.Get(gateway_->port(), "/health");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body).at("upstreams_healthy"), 2);
  r = client_.Get(gateway_->port(), "/load");
  auto load = json::parse(r.body);
  EXPECT_EQ(load.at("running"), 3);
  EXPECT_EQ(load.at("waiting"), 1);
  EXPECT_EQ(load.at("queue_delay_ms"), 0.0) << "the shortest queue among the upstreams";
  EXPECT_EQ(load.at("prefix_cache").at("block_hashes").as_array().size(), 2u);
  r = client_.Get(gateway_->port(), "/fleet");
  auto fleet = json::parse(r.body);
  EXPECT_EQ(fleet.at("upstreams").as_array().size(), 2u);
  EXPECT_EQ(fleet.at("upstreams").at(0).at("region"), "r0");
  EXPECT_EQ(fleet.at("policy"), "least-load");
  r = client_.Get(gateway_->port(), "/v1/models", key_);
  EXPECT_EQ(json::parse(r.body).at("data").at(0).at("id"), "m");
  EXPECT_EQ(client_.Get(gateway_->port(), "/v1/models").status, 401);
  (void)Chat("a", true);
  r = client_.Get(gateway_->port(), "/metrics");
  EXPECT_THAT(r.body, HasSubstr("tokenfab_gateway_requests_total{outcome=\"ok\"} 1"));
  EXPECT_THAT(
      r.body,
      HasSubstr("tokenfab_gateway_upstream_healthy{upstream=\"u1\",site=\"s1\",region=\"r1\"} 1"));
  // The streamed request went to the idle u1: only it has a prediction error so far.
  const std::string error = "tokenfab_gateway_upstream_prediction_error_ratio";
  const std::string ttft = ",latency=\"ttft\",quantile=\"0.5\"} ";
  EXPECT_THAT(r.body, HasSubstr(error + "{upstream=\"u0\",site=\"s0\",region=\"r0\"" + ttft + "-1"));
  EXPECT_THAT(r.body, HasSubstr(error + "{upstream=\"u1\",site=\"s1\",region=\"r1\"" + ttft));
  EXPECT_THAT(r.body,
              Not(HasSubstr(error + "{upstream=\"u1\",site=\"s1\",region=\"r1\"" + ttft + "-1")));
}

TEST_F(GatewayRelayTest, TokenfabUpstreamsAreToldTheTiersTpotSlo) {
  FakeUpstream& up = AddUpstream({.tokens = 3});
  StatusOr<ledger::Tier> standard = store_->GetTier("standard");  // acme's tier
  ASSERT_TRUE(standard.ok()) << standard.status();
  standard->tpot_slo_ms = 35;
  ASSERT_TRUE(store_->PutTier(*standard).ok());
  StartGateway();
  ClientResult r = Chat("one two", /*stream=*/true);
  ASSERT_TRUE(r.saw_done()) << r.status << r.body;
  ASSERT_EQ(up.received().size(), 1u);
  EXPECT_EQ(up.received()[0].headers.Get("x-tokenfab-tpot-slo-ms"), "35");
  gateway_->Stop();
  gateway_.reset();

  // Other engines are not sent the header: the same upstream, declared as vLLM.
  GatewayOptions options;
  options.io_threads = 1;
  StartGatewayOn(TestFleetToml({{.url = up.url(), .kind = "vllm"}}), std::move(options));
  r = Chat("one two", /*stream=*/true);
  ASSERT_TRUE(r.saw_done()) << r.status << r.body;
  ASSERT_EQ(up.received().size(), 2u);
  EXPECT_EQ(up.received()[1].headers.Get("x-tokenfab-tpot-slo-ms"), std::nullopt);
  EXPECT_EQ(up.received()[1].headers.Get("x-tokenfab-priority"), std::nullopt);
}

}  // namespace
}  // namespace tokenfab::gateway

namespace tokenfab::gateway {
namespace {

// Admission reserves max_tokens for every choice of every prompt, and the tier caps max_tokens.
TEST_F(GatewayRelayTest, ReservationCountsChoicesAndTheTierCapsMaxTokens) {
  FakeUpstream& up = AddUpstream({.tokens = 3});
  StatusOr<ledger::Tier> standard = store_->GetTier("standard");  // acme's tier
  ASSERT_TRUE(standard.ok()) << standard.status();
  standard->limits.tpm = 1000;
  standard->max_tokens = 300;
  ASSERT_TRUE(store_->PutTier(*standard).ok());
  StartGateway();
  PostOptions key{.api_key = key_};
  auto post = [&](const std::string& body) {
    return client_.Post(gateway_->port(), "/v1/completions", body, key);
  };
  // 3 prompt bytes ≈ 1 token, + 3 prompts × n 2 × 200 = 1201 tokens reserved: more than the TPM
  // of 1000 can ever grant. (Before, 200 plus the prompt was reserved and the request admitted.)
  ClientResult many = post(R"({"model": "m", "prompt": ["a", "b", "c"], "n": 2,
                              "max_tokens": 200})");
  EXPECT_EQ(many.status, 429) << many.body;
  EXPECT_THAT(many.body, HasSubstr("1201 tokens requested"));
  EXPECT_EQ(up.requests(), 0);
  // One prompt, n 2: 400 and the prompt, admitted.
  ClientResult two = post(R"({"model": "m", "prompt": "a", "n": 2, "max_tokens": 200})");
  EXPECT_EQ(two.status, 200) << two.body;
  // Above the tier's max_tokens: a 400 naming the field.
  ClientResult over = post(R"({"model": "m", "prompt": "a", "max_tokens": 301})");
  EXPECT_EQ(over.status, 400) << over.body;
  EXPECT_THAT(over.body, HasSubstr(R"("param":"max_tokens")"));
  // None given: the upstream is asked for the tier's cap.
  ClientResult none = post(R"({"model": "m", "prompt": "a"})");
  EXPECT_EQ(none.status, 200) << none.body;
  ASSERT_EQ(up.received().size(), 2u);
  EXPECT_EQ(boost::json::parse(up.received()[1].body).at("max_tokens"), 300);
  // Out of range numbers are refused before anything is converted.
  ClientResult huge = post(R"({"model": "m", "prompt": "a", "max_tokens": 1e300})");
  EXPECT_EQ(huge.status, 400) << huge.body;
  EXPECT_THAT(huge.body, HasSubstr(R"("param":"max_tokens")"));
}

}  // namespace
}  // namespace tokenfab::gateway
