#include "upstream_runtime.h"

#include <gtest/gtest.h>

#include "fleet_state.h"
#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::gateway {
namespace {

fleet::Upstream Node(std::string name = "n1", uint16_t port = 9001) {
  fleet::Upstream up;
  up.name = std::move(name);
  up.url.scheme = "http";
  up.url.host = "127.0.0.1";
  up.url.port = port;
  up.kind = fleet::UpstreamKind::kTokenfabNode;
  return up;
}

UpstreamLoad Load(int running, int waiting, int max_running) {
  UpstreamLoad load;
  load.running = running;
  load.waiting = waiting;
  load.max_running = max_running;
  load.queue_delay_ms = 5;
  return load;
}

TEST(UpstreamRuntimeTest, HealthFollowsPollsWithHysteresis) {
  base::ManualClock clock;
  UpstreamRuntime runtime(Node(), clock, {});
  const HealthOptions health{.down_after = 2, .up_after = 2, .rtt_smoothing = 0.5};
  EXPECT_TRUE(runtime.polled().healthy) << "healthy until polls say otherwise";
  EXPECT_FALSE(runtime.ReportPoll(absl::UnavailableError("refused"), 100, 1, health));
  EXPECT_TRUE(runtime.polled().healthy);
  EXPECT_TRUE(runtime.ReportPoll(absl::UnavailableError("refused"), 100, 2, health));
  EXPECT_FALSE(runtime.polled().healthy);
  EXPECT_EQ(runtime.last_error(), "refused");
  EXPECT_FALSE(runtime.ReportPoll(Load(0, 0, 8), 2000, 3, health));
  EXPECT_FALSE(runtime.polled().healthy) << "one success is not enough";
  EXPECT_TRUE(runtime.ReportPoll(Load(0, 0, 8), 4000, 4, health));
  EXPECT_TRUE(runtime.polled().healthy);
  EXPECT_EQ(runtime.last_error(), "");
  // RTT: the first sample, then a moving average.
  EXPECT_DOUBLE_EQ(runtime.polled().rtt_ms, 3.0);
  EXPECT_EQ(runtime.polled().updated_wall_micros, 4);
}

TEST(UpstreamRuntimeTest, RequestsSentSinceThePollAreLaidOverIt) {
  base::ManualClock clock;
  UpstreamRuntime runtime(Node(), clock, {});
  const HealthOptions health;
  runtime.AddInFlight(2);  // two requests out when the poll answered: counted in its figures
  ASSERT_FALSE(runtime.ReportPoll(Load(6, 0, 8), 100, 1, health));
  EXPECT_EQ(runtime.Current().running, 6);
  EXPECT_EQ(runtime.Current().waiting, 0);
  runtime.AddInFlight(5);  // five more: two fit under max_running, three queue
  fleet::UpstreamState now = runtime.Current();
  EXPECT_EQ(now.running, 8);
  EXPECT_EQ(now.waiting, 3);
  EXPECT_EQ(now.queue_delay_ms, -1) << "the reported queue delay is out of date";
  runtime.AddInFlight(-6);  // six ended: the queue empties first, then the running set
  now = runtime.Current();
  EXPECT_EQ(now.waiting, 0);
  EXPECT_EQ(now.running, 5);
  // The next poll absorbs them.
  ASSERT_FALSE(runtime.ReportPoll(Load(1, 0, 8), 100, 2, health));
  EXPECT_EQ(runtime.Current().running, 1);
  EXPECT_EQ(runtime.Current().queue_delay_ms, 5);
}

TEST(UpstreamRuntimeTest, ServersWithoutLoadReportsCountOnlyThisGateway) {
  base::ManualClock clock;
  fleet::Upstream up = Node();
  up.kind = fleet::UpstreamKind::kOpenAi;
  UpstreamRuntime runtime(up, clock, {});
  runtime.AddInFlight(3);
  ASSERT_FALSE(runtime.ReportPoll(UpstreamLoad{}, 100, 1, {}));
  EXPECT_EQ(runtime.Current().outstanding(), 3);
}

// A server whose step is 5 ms + 0.5 ms per decoding sequence and whose prefill costs 0.1 ms a
// token, 10 ms away, publishing no model (as vLLM): requests end there with varied batches and
// prompts.
LatencyObservation Ended(int running, int prompt) {
  LatencyObservation o;
  o.at_dispatch.running = running;
  o.at_dispatch.waiting = 0;
  o.at_dispatch.rtt_ms = 10;
  o.prompt_tokens = prompt;
  o.tpot_ms = 5 + 0.5 * (running + 1);                // decoding alongside `running` others
  o.ttft_ms = 10 + 0.1 * prompt + 5 + 0.5 * running;  // RTT, prefill, one step
  o.predicted_ttft_ms = o.ttft_ms * 1.1;              // 10 % over
  o.predicted_tpot_ms = o.tpot_ms * 0.75;             // 25 % under
  return o;
}

TEST(UpstreamRuntimeTest, LearnsTheStepModelAndThePredictionErrorFromEndedRequests) {
  base::ManualClock clock;
  fleet::Upstream up = Node();
  up.kind = fleet::UpstreamKind::kVllm;
  UpstreamRuntime runtime(up, clock, {});
  ASSERT_FALSE(runtime.ReportPoll(Load(2, 0, 64), 100, 1, {}));
  EXPECT_FALSE(runtime.Current().step_model.known());
  EXPECT_EQ(runtime.prediction_errors().ttft_p50, -1);
  for (int i = 0; i < 12; ++i) runtime.Observe(Ended(i % 6, 200 + 100 * (i % 4)));
  const fleet::StepModel m = runtime.Current().step_model;
  EXPECT_NEAR(m.base_us, 5000, 1e-3);
  EXPECT_NEAR(m.decode_sequence_us, 500, 1e-3);
  EXPECT_NEAR(m.prefill_token_us, 100, 1e-3);
  const PredictionErrors errors = runtime.prediction_errors();
  EXPECT_NEAR(errors.ttft_p50, 0.10, 1e-9);
  EXPECT_NEAR(errors.tpot_p50, 0.25, 1e-9);
  EXPECT_EQ(errors.ttft_count, 12);

  // A node that publishes its model: that one is used, and nothing is learned over it.
  UpstreamRuntime node(Node(), clock, {});
  UpstreamLoad load = Load(2, 0, 64);
  load.step_model = {.base_us = 3000, .prefill_token_us = 90};
  ASSERT_FALSE(node.ReportPoll(load, 100, 1, {}));
  for (int i = 0; i < 12; ++i) node.Observe(Ended(i % 6, 200 + 100 * (i % 4)));
  EXPECT_EQ(node.Current().step_model, load.step_model);
  EXPECT_EQ(node.prediction_errors().tpot_count, 12);
}

TEST(UpstreamRuntimeTest, LearnsTheTpotInterferenceFromEndedRequests) {
  base::ManualClock clock;
  UpstreamRuntime runtime(Node(), clock, {});
  ASSERT_FALSE(runtime.ReportPoll(Load(2, 0, 64), 100, 1, {}));
  EXPECT_EQ(runtime.Current().tpot_interference_ms, -1);  // nothing observed yet
  const auto ended = [&](double decode_step_ms, double tpot_ms) {
    LatencyObservation o;
    o.predicted_decode_step_ms = decode_step_ms;
    o.tpot_ms = tpot_ms;
    runtime.Observe(o);
  };
  ended(6, 26);  // 20 ms of other requests' prefill per token
  EXPECT_DOUBLE_EQ(runtime.Current().tpot_interference_ms, 20);
  ended(5, 10);  // residuals {5, 20}: the lower middle
  EXPECT_DOUBLE_EQ(runtime.Current().tpot_interference_ms, 5);
  ended(5, 3);  // {-2, 5, 20}: one faster than its step does not drag the median below 5
  EXPECT_DOUBLE_EQ(runtime.Current().tpot_interference_ms, 5);
  ended(5, 95);  // {-2, 5, 20, 90}: a request behind a burst moves it to 5, not towards 90
  EXPECT_DOUBLE_EQ(runtime.Current().tpot_interference_ms, 5);
  // Without a predicted decode step (no step model), or a single-token answer: nothing learned.
  ended(0, 90);
  ended(5, 0);
  EXPECT_DOUBLE_EQ(runtime.Current().tpot_interference_ms, 5);
  // Never below 0: a median residual of -1.
  UpstreamRuntime fast(Node("n2", 9002), clock, {});
  LatencyObservation o;
  o.predicted_decode_step_ms = 5;
  o.tpot_ms = 4;
  fast.Observe(o);
  EXPECT_DOUBLE_EQ(fast.Current().tpot_interference_ms, 0);
}

TEST(UpstreamRuntimeTest, TpotInterferenceForgetsAllButTheLastWindow) {
  base::ManualClock clock;
  UpstreamRuntime runtime(Node(), clock, {});
  LatencyObservation o;
  o.predicted_decode_step_ms = 5;
  o.tpot_ms = 55;  // a long busy spell: 50 ms of interference
  for (int i = 0; i < 100; ++i) runtime.Observe(o);
  EXPECT_DOUBLE_EQ(runtime.Current().tpot_interference_ms, 50);
  o.tpot_ms = 7;  // then a calm one, as long as the window: 2 ms (over all 164, still 50)
  for (size_t i = 0; i < UpstreamRuntime::kInterferenceWindow; ++i) runtime.Observe(o);
  EXPECT_DOUBLE_EQ(runtime.Current().tpot_interference_ms, 2);
}

TEST(UpstreamRuntimeTest, ShowsTheBreakerAndCachedBlocks) {
  base::ManualClock clock;
  UpstreamRuntime runtime(Node(), clock, {.failure_threshold = 1});
  ASSERT_TRUE(runtime.breaker().TryAcquire());
  runtime.breaker().RecordFailure();
  EXPECT_EQ(runtime.Current().circuit, fleet::CircuitState::kOpen);
  UpstreamLoad load = Load(0, 0, 0);
  load.cached_block_hashes = {1, 2, 3};
  load.block_tokens = 16;
  ASSERT_FALSE(runtime.ReportPoll(load, 100, 1, {}));
  ASSERT_NE(runtime.Current().cached_blocks, nullptr);
  EXPECT_TRUE(runtime.Current().cached_blocks->Contains(2));
  EXPECT_EQ(runtime.block_tokens(), 16);
  EXPECT_EQ(runtime.recent_block_hashes()->size(), 3u);
}

// An https upstream used to load and then never be called (no URL for the client).
TEST(UpstreamRuntimeTest, HttpsUpstreamsAreReachable) {
  base::ManualClock clock;
  fleet::Upstream up = Node();
  up.url.scheme = "https";
  ASSERT_TRUE(UpstreamRuntime(up, clock, {}).url().has_value());
  EXPECT_EQ(UpstreamRuntime(up, clock, {}).url()->scheme, "https");
  up.url.scheme = "ftp";
  EXPECT_FALSE(UpstreamRuntime(up, clock, {}).url().has_value());
  ASSERT_TRUE(UpstreamRuntime(Node(), clock, {}).url().has_value());
  EXPECT_EQ(UpstreamRuntime(Node(), clock, {}).url()->HostPort(), "127.0.0.1:9001");
}

TEST(FleetStateTest, ReloadKeepsTheRuntimesOfUnchangedUpstreams) {
  base::ManualClock clock;
  FleetState state(clock, {});
  auto config =
      fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  auto first = state.Install(std::make_shared<const fleet::FleetConfig>(*config), nullptr, nullptr);
  first->upstreams[0]->AddInFlight(4);
  ASSERT_TRUE(
      first->upstreams[1]->ReportPoll(absl::UnavailableError("x"), 1, 1, {.down_after = 1}));
  state.Publish();
  EXPECT_FALSE(state.Published()->state(1).healthy);

  fleet::FleetSpec spec = config->spec();
  std::swap(spec.upstreams[0], spec.upstreams[2]);  // indices shift
  spec.upstreams[1].url.port = 9999;                // coast moves: a new runtime
  auto reloaded = fleet::FleetConfig::Create(spec);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  auto second =
      state.Install(std::make_shared<const fleet::FleetConfig>(*reloaded), nullptr, nullptr);
  EXPECT_EQ(second->number, 2u);
  EXPECT_EQ(second->upstreams[2].get(), first->upstreams[0].get()) << "hub kept, moved to 2";
  EXPECT_EQ(second->upstreams[2]->in_flight(), 4);
  EXPECT_EQ(second->upstreams[0].get(), first->upstreams[2].get());
  EXPECT_NE(second->upstreams[1].get(), first->upstreams[1].get());
  EXPECT_TRUE(first->upstreams[1]->retired());
  EXPECT_FALSE(first->upstreams[0]->retired());
  auto snapshot = state.Snapshot(*second);
  EXPECT_EQ(snapshot->state(2).outstanding(), 4);
  EXPECT_TRUE(snapshot->state(1).healthy) << "a new runtime starts healthy";
}

// A registered node that crashed and came back registers with a new incarnation: the gateway
// starts it afresh (circuit closed, healthy) instead of waiting out the open circuit of the
// process that died. The same incarnation keeps the runtime, open circuit and all.
TEST(FleetStateTest, ANewIncarnationStartsTheUpstreamAfresh) {
  base::ManualClock clock;
  FleetState state(clock, {.failure_threshold = 1, .open_micros = 60'000'000});
  auto config =
      fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  fleet::FleetSpec spec = config->spec();
  spec.upstreams[0].incarnation = "aaaa";
  auto install = [&](const fleet::FleetSpec& s) {
    auto c = fleet::FleetConfig::Create(s);
    EXPECT_TRUE(c.ok()) << c.status();
    return state.Install(std::make_shared<const fleet::FleetConfig>(*c), nullptr, nullptr);
  };
  auto first = install(spec);
  ASSERT_TRUE(first->upstreams[0]->breaker().TryAcquire());
  first->upstreams[0]->breaker().RecordFailure();
  ASSERT_TRUE(
      first->upstreams[0]->ReportPoll(absl::UnavailableError("x"), 1, 1, {.down_after = 1}));
  ASSERT_EQ(state.Snapshot(*first)->state(0).circuit, fleet::CircuitState::kOpen);

  auto same = install(spec);
  EXPECT_EQ(same->upstreams[0].get(), first->upstreams[0].get());
  EXPECT_EQ(state.Snapshot(*same)->state(0).circuit, fleet::CircuitState::kOpen);

  spec.upstreams[0].incarnation = "bbbb";
  auto again = install(spec);
  EXPECT_NE(again->upstreams[0].get(), first->upstreams[0].get());
  EXPECT_TRUE(first->upstreams[0]->retired());
  auto snapshot = state.Snapshot(*again);
  EXPECT_EQ(snapshot->state(0).circuit, fleet::CircuitState::kClosed);
  EXPECT_TRUE(snapshot->state(0).healthy);
  EXPECT_TRUE(again->upstreams[0]->breaker().TryAcquire()) << "routed to at once";
}

// A membership change costs the upstreams that stay nothing: a join builds the one runtime it
// adds (not one per upstream, to be thrown away for those kept), a leave builds none.
TEST(FleetStateTest, AJoinBuildsOneRuntimeNotOnePerUpstream) {
  base::ManualClock clock;
  FleetState state(clock, {});
  auto config =
      fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  const fleet::FleetSpec spec = config->spec();
  const int64_t upstreams = static_cast<int64_t>(spec.upstreams.size());
  auto install = [&](const fleet::FleetSpec& s) {
    auto c = fleet::FleetConfig::Create(s);
    EXPECT_TRUE(c.ok()) << c.status();
    return state.Install(std::make_shared<const fleet::FleetConfig>(*c), nullptr, nullptr);
  };
  auto first = install(spec);
  EXPECT_EQ(state.runtimes_built(), upstreams);

  fleet::FleetSpec joined = spec;
  fleet::Upstream newcomer = spec.upstreams[0];
  newcomer.name = "joined";
  newcomer.url.port = 9999;
  joined.upstreams.insert(joined.upstreams.begin(), newcomer);  // every index shifts
  auto second = install(joined);
  EXPECT_EQ(state.runtimes_built(), upstreams + 1);
  EXPECT_EQ(second->upstreams[1].get(), first->upstreams[0].get());

  install(spec);  // it leaves again
  EXPECT_EQ(state.runtimes_built(), upstreams + 1);
}

}  // namespace
}  // namespace tokenfab::gateway
