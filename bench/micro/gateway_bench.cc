// The gateway's own costs: reading and rewriting a request body, metering one streamed chunk,
// and one whole streamed request through an in-process gateway (SQLite ledger, group commit)
// against a fake upstream, next to the same request sent to the upstream directly. The gateway's
// budget is < 0.3 ms added at p50 (bench/gateway/overhead.sh measures it under load).
//
//   build/bin/gateway_bench
#include <benchmark/benchmark.h>

#include <filesystem>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "gateway/inference_request.h"
#include "gateway/response_meter.h"
#include "gateway/testing/fake_upstream.h"
#include "gateway/testing/test_client.h"
#include "gateway/testing/test_fleet.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/rate_counters.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::gateway {
namespace {

std::string Words(size_t bytes) {
  std::string text;
  for (int i = 0; text.size() < bytes; ++i) text += fmt::format("word{} ", i % 997);
  return text;
}

void BM_ParseAndRewriteChatRequest(benchmark::State& state) {
  const std::string body = testing::ChatBody("m", Words(static_cast<size_t>(state.range(0))), true);
  for (auto _ : state) {
    auto request = ParseInferenceRequest(api::Endpoint::kChatCompletions, body);
    TF_CHECK(request.ok());
    benchmark::DoNotOptimize(UpstreamBody(*request, fleet::UpstreamKind::kTokenfabNode));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_ParseAndRewriteChatRequest)->Arg(256)->Arg(4096)->Arg(32768);

void BM_MeterOneContentChunk(benchmark::State& state) {
  const std::string chunk =
      R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
      R"("choices":[{"index":0,"delta":{"content":" token"},"finish_reason":null}]})";
  ResponseMeter meter(api::Endpoint::kChatCompletions, false);
  int64_t now = 0;
  for (auto _ : state) benchmark::DoNotOptimize(meter.OnEvent(chunk, ++now));
}
BENCHMARK(BM_MeterOneContentChunk);

// One streamed request of 16 tokens, one after the other (no load): direct, then through the
// gateway. The difference is what the gateway adds to an unloaded request.
class RoundTrip : public benchmark::Fixture {
 public:
  void SetUp(const benchmark::State&) override {
    if (upstream_) return;
    dir_ = std::filesystem::temp_directory_path() / fmt::format("gateway-bench-{}", getpid());
    std::filesystem::create_directories(dir_);
    auto store = ledger::OpenSqliteStore((dir_ / "ledger.sqlite").string());
    TF_CHECK(store.ok()) << store.status();
    store_ = *std::move(store);
    ledger::Tenant tenant;
    tenant.name = "bench";
    tenant.tier = "premium";
    tenant.limits.rpm = 100'000'000;  // the benchmark is not to be rate limited
    tenant.limits.tpm = 100'000'000'000;
    tenant.limits.max_concurrency = 1'000'000;
    TF_CHECK(store_->CreateTenant(tenant).ok());
    ledger::Authenticator auth(*store_, base::RealClock::Get());
    key_ = auth.CreateKey("bench")->plaintext;
    ledger::PriceEntry price{.model = "*", .region = "*", .currency = "CNY"};
    price.input_per_million = 2'000'000;
    price.output_per_million = 8'000'000;
    TF_CHECK(store_->AddPrice(price).ok());  // the gateway serves no model without a price
    auto up = testing::FakeUpstream::Start({.tokens = 16});
    TF_CHECK(up.ok());
    upstream_ = *std::move(up);
    auto config = fleet::ParseFleetConfig(testing::TestFleetToml({{.url = upstream_->url()}}),
                                          "bench.toml");
    TF_CHECK(config.ok()) << config.status();
    GatewayOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.policy = "least-load";
    counters_ = std::make_unique<ledger::LocalCounters>();
    auto gw = Gateway::Start(options, std::make_shared<const fleet::FleetConfig>(*config), *store_,
                             *counters_, base::RealClock::Get());
    TF_CHECK(gw.ok()) << gw.status();
    gateway_ = *std::move(gw);
    client_ = std::make_unique<testing::TestClient>();
  }

 protected:
  static inline std::filesystem::path dir_;
  static inline std::unique_ptr<ledger::Store> store_;
  static inline std::unique_ptr<ledger::LocalCounters> counters_;
  static inline std::string key_;
  static inline std::unique_ptr<testing::FakeUpstream> upstream_;
  static inline std::unique_ptr<Gateway> gateway_;
  static inline std::unique_ptr<testing::TestClient> client_;
};

BENCHMARK_DEFINE_F(RoundTrip, Direct)(benchmark::State& state) {
  const std::string body = testing::ChatBody("m", "hello there", true);
  for (auto _ : state) {
    auto r = client_->Post(upstream_->port(), "/v1/chat/completions", body, {});
    TF_CHECK(r.saw_done());
  }
}
BENCHMARK_REGISTER_F(RoundTrip, Direct)->UseRealTime()->Unit(benchmark::kMicrosecond);

BENCHMARK_DEFINE_F(RoundTrip, ThroughGateway)(benchmark::State& state) {
  const std::string body = testing::ChatBody("m", "hello there", true);
  for (auto _ : state) {
    auto r = client_->Post(gateway_->port(), "/v1/chat/completions", body, {.api_key = key_});
    TF_CHECK(r.saw_done()) << r.status << " " << r.body << r.error().value_or("");
  }
}
BENCHMARK_REGISTER_F(RoundTrip, ThroughGateway)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace tokenfab::gateway

BENCHMARK_MAIN();
