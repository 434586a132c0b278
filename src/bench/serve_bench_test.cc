// End to end: the load generator against a small OpenAI-compatible server built on the net
// layer, which streams a configurable number of chunks at configured times. The bench's measured
// TTFT and TPOT must come out near the configured ones (tolerances allow a loaded machine).
#include "tokenfab/bench/serve_bench.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "absl/synchronization/mutex.h"

#include "net/test_util.h"
#include "tokenfab/base/check.h"
#include "tokenfab/bench/stats.h"
#include "tokenfab/bench/trace.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/http_server.h"

namespace tokenfab::bench {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// An OpenAI-compatible streaming server: `max_tokens` chunks of one token, the first `ttft`
// after the request arrived, then one every `itl` (scheduled on absolute times, so delays do
// not add up), then a usage chunk and [DONE]. Every `reject_every`-th request gets a 429.
class FakeOpenAiServer {
 public:
  struct Config {
    std::chrono::microseconds ttft = 80ms;
    std::chrono::microseconds itl = 20ms;
    int reject_every = 0;
  };

  explicit FakeOpenAiServer(Config config) : config_(config) {
    net::Router router;
    router.Handle("GET", "/v1/models", [](std::shared_ptr<net::HttpExchange> exchange) {
      (void)exchange->Respond(net::HttpResponse::Json(
          200, R"({"object":"list","data":[{"id":"fake-model","object":"model"}]})"));
    });
    router.Handle("POST", "/v1/completions", [this](std::shared_ptr<net::HttpExchange> e) {
      Complete(std::move(e), /*chat=*/false);
    });
    router.Handle("POST", "/v1/chat/completions", [this](std::shared_ptr<net::HttpExchange> e) {
      Complete(std::move(e), /*chat=*/true);
    });
    net::HttpServerOptions options;
    options.io_threads = 1;
    auto server = net::HttpServer::Start(options, std::move(router));
    TF_CHECK(server.ok()) << server.status();
    server_ = std::move(server).value();
  }

  ~FakeOpenAiServer() { server_->Stop(); }

  std::string url() const { return fmt::format("http://127.0.0.1:{}", server_->port()); }

  std::vector<json::value> bodies() {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }

  std::vector<std::string> authorizations() {
    absl::MutexLock lock(&mu_);
    return authorizations_;
  }

  std::vector<std::string> tenants() {
    absl::MutexLock lock(&mu_);
    return tenants_;
  }

  int64_t requests() {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(bodies_.size());
  }

 private:
  void Complete(std::shared_ptr<net::HttpExchange> exchange, bool chat) {
    boost::system::error_code ec;
    json::value body = json::parse(exchange->request().body, ec);
    int64_t count;
    {
      absl::MutexLock lock(&mu_);
      bodies_.push_back(body);
      authorizations_.emplace_back(exchange->request().headers.Get("Authorization").value_or(""));
      tenants_.emplace_back(exchange->request().headers.Get("X-Tenant").value_or(""));
      count = static_cast<int64_t>(bodies_.size());
    }
    if (ec || !body.is_object() || !body.as_object().contains("max_tokens") ||
        !body.at("stream").is_bool() || !body.at("stream").as_bool()) {
      (void)exchange->Respond(net::HttpResponse::Json(400, R"({"error":{"message":"bad"}})"));
      return;
    }
    if (config_.reject_every > 0 && count % config_.reject_every == 0) {
      net::HttpResponse busy =
          net::HttpResponse::Json(429, R"({"error":{"message":"server is full"}})");
      busy.headers.Add("Retry-After", "1");
      (void)exchange->Respond(std::move(busy));
      return;
    }
    const int64_t tokens = body.at("max_tokens").as_int64();
    (void)exchange->StartSse();
    Emit(exchange, chat, 0, tokens, SteadyClock::now());
  }

  // Writes token chunk `k` at its time and schedules the next; the last one is followed at once
  // by the usage chunk and [DONE], as real servers do.
  void Emit(std::shared_ptr<net::HttpExchange> exchange, bool chat, int64_t k, int64_t tokens,
            SteadyClock::time_point start) {
    const auto due = start + config_.ttft + config_.itl * k;
    const auto delay =
        std::chrono::duration_cast<std::chrono::microseconds>(due - SteadyClock::now());
    events_.RunAfter(delay, [this, exchange, chat, k, tokens, start] {
      if (exchange->cancelled()) return;
      (void)exchange->WriteSseData(chat ? R"({"choices":[{"index":0,"delta":{"content":"tok"}}]})"
                                        : R"({"choices":[{"index":0,"text":"tok"}]})");
      if (k + 1 < tokens) {
        Emit(exchange, chat, k + 1, tokens, start);
        return;
      }
      (void)exchange->WriteSseData(fmt::format(
          R"({{"choices":[],"usage":{{"prompt_tokens":7,"completion_tokens":{}}}}})", tokens));
      (void)exchange->WriteSseData("[DONE]");
      (void)exchange->Finish();
    });
  }

  const Config config_;
  net::testing::EventThread events_;
  std::unique_ptr<net::HttpServer> server_;
  absl::Mutex mu_;
  std::vector<json::value> bodies_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> authorizations_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> tenants_ ABSL_GUARDED_BY(mu_);
};

ServeBenchOptions Options(const FakeOpenAiServer& server) {
  ServeBenchOptions options;
  options.url = *net::ParseHttpUrl(server.url());
  options.body.model = "fake-model";
  options.io_threads = 1;
  return options;
}

std::vector<PlannedRequest> Synthetic(int count, int input_tokens, int output_tokens) {
  std::vector<PlannedRequest> plan(count);
  for (auto& request : plan) {
    request.input_tokens = input_tokens;
    request.output_tokens = output_tokens;
  }
  return plan;
}

TEST(ServeBenchTest, MeasuresTheServersConfiguredTtftAndTpot) {
  FakeOpenAiServer server({.ttft = 80ms, .itl = 20ms});
  ServeBenchOptions options = Options(server);
  options.concurrency = 8;
  ServeBench bench(options, base::RealClock::Get());
  ASSERT_TRUE(bench.Prepare().ok());
  auto result = bench.Run(Synthetic(24, 100, 12), nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->records.size(), 24u);
  const BenchSummary s = SummarizeRun(result->records, result->duration_s, {});
  EXPECT_EQ(s.completed, 24) << (s.errors_by_kind.empty() ? "" : s.errors_by_kind.begin()->first);
  EXPECT_EQ(s.output_tokens, 24 * 12);
  EXPECT_EQ(s.usage_missing, 0);
  // Configured: TTFT 80 ms, TPOT = ITL = 20 ms, E2E = 80 + 11 × 20 = 300 ms. Server-side delays
  // can only be late, so the lower bounds are tight and the upper ones generous.
  EXPECT_GE(s.ttft_ms.mean, 75);
  EXPECT_LE(s.ttft_ms.mean, 80 + 300);
  EXPECT_GE(s.tpot_ms.mean, 16);  // a late first chunk shortens it: (E2E − TTFT) / 11
  EXPECT_LE(s.tpot_ms.mean, 20 + 40);
  EXPECT_GE(s.itl_ms.p50, 5);  // late chunks bunch up under load
  EXPECT_LE(s.itl_ms.p50, 20 + 40);
  EXPECT_GE(s.e2e_ms.mean, 295);
  // 24 requests, 8 at a time, 300 ms each: at least three rounds; the cap delayed some.
  EXPECT_GE(result->duration_s, 0.85);
  EXPECT_GT(s.queue_delay_ms.max, 100);
  std::printf("measured TTFT %.1f ms (80), TPOT %.2f ms (20), ITL p50 %.2f ms, E2E %.1f ms (300)\n",
              s.ttft_ms.mean, s.tpot_ms.mean, s.itl_ms.p50, s.e2e_ms.mean);

  // What the server received: streaming requests for exactly 12 tokens, with usage.
  const std::vector<json::value> bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 24u);
  for (const json::value& body : bodies) {
    EXPECT_EQ(body.at("model").as_string(), "fake-model");
    EXPECT_EQ(body.at("max_tokens").as_int64(), 12);
    EXPECT_EQ(body.at("stream_options").at("include_usage").as_bool(), true);
    EXPECT_EQ(body.at("ignore_eos").as_bool(), true);
    EXPECT_EQ(
        std::count(body.at("prompt").as_string().begin(), body.at("prompt").as_string().end(), ' '),
        99);  // 100 words
  }
}

TEST(ServeBenchTest, ChatEndpointWarmupAndModelDiscovery) {
  FakeOpenAiServer server({.ttft = 5ms, .itl = 1ms});
  ServeBenchOptions options = Options(server);
  options.body.endpoint = api::Endpoint::kChatCompletions;
  options.body.model.clear();  // asked from /v1/models
  options.warmup = 3;
  options.api_key = "sk-test";
  options.headers.Add("X-Tenant", "acme");
  ServeBench bench(options, base::RealClock::Get());
  ASSERT_TRUE(bench.Prepare().ok());
  EXPECT_EQ(bench.model(), "fake-model");
  EXPECT_EQ(bench.RequestUrl(), server.url() + "/v1/chat/completions");
  auto result = bench.Run(Synthetic(5, 20, 4), nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->records.size(), 5u);
  EXPECT_EQ(result->warmup_failed, 0);
  EXPECT_EQ(server.requests(), 8);  // 3 warm-up + 5 measured
  for (const RequestRecord& record : result->records) {
    EXPECT_TRUE(record.ok()) << record.error_kind << " " << record.error_message;
    EXPECT_EQ(record.OutputTokens(), 4);
    EXPECT_EQ(record.content_chunks, 4);
  }
  EXPECT_EQ(server.bodies()[0].at("messages").as_array()[0].at("role").as_string(), "user");
  for (const std::string& authorization : server.authorizations()) {
    EXPECT_EQ(authorization, "Bearer sk-test");
  }
  for (const std::string& tenant : server.tenants()) EXPECT_EQ(tenant, "acme");
}

TEST(ServeBenchTest, CountsErrorsByKind) {
  FakeOpenAiServer server({.ttft = 1ms, .itl = 1ms, .reject_every = 3});
  ServeBenchOptions options = Options(server);
  ServeBench bench(options, base::RealClock::Get());
  ASSERT_TRUE(bench.Prepare().ok());
  auto result = bench.Run(Synthetic(9, 10, 2), nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  const BenchSummary s = SummarizeRun(result->records, result->duration_s, {});
  EXPECT_EQ(s.completed, 6);
  EXPECT_EQ(s.failed, 3);
  EXPECT_EQ(s.errors_by_kind.at("http_429"), 3);
  for (const RequestRecord& record : result->records) {
    if (!record.ok()) {
      EXPECT_NE(record.error_message.find("server is full"), std::string::npos);
    }
  }

  // A server that is not there: every warm-up request fails, and the run says why.
  uint16_t closed_port;
  {
    net::testing::RawListener listener([](int) {});
    closed_port = listener.port();
  }
  ServeBenchOptions unreachable = options;
  unreachable.url.port = closed_port;
  unreachable.warmup = 2;
  ServeBench nobody(unreachable, base::RealClock::Get());
  ASSERT_TRUE(nobody.Prepare().ok());
  auto failed = nobody.Run(Synthetic(3, 10, 2), nullptr, nullptr);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(std::string(failed.status().message()).find("connect"), std::string::npos)
      << failed.status();
}

TEST(ServeBenchTest, ReplaysAMooncakeTraceWithSharedPrefixesAndSpreadSteps) {
  const std::string text =
      "{\"timestamp\": 0, \"input_length\": 1000, \"output_length\": 3, \"hash_ids\": [1, 2]}\n"
      "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 3, \"hash_ids\": [1, 3]}\n"
      "{\"timestamp\": 0, \"input_length\": 100, \"output_length\": 3, \"hash_ids\": [4]}\n"
      "{\"timestamp\": 3000, \"input_length\": 1500, \"output_length\": 3, \"hash_ids\": [1, 2, "
      "5]}\n"
      "{\"timestamp\": 6000, \"input_length\": 512, \"output_length\": 3, \"hash_ids\": [4]}\n"
      "{\"timestamp\": 6000, \"input_length\": 10, \"output_length\": 3, \"hash_ids\": [6]}\n";
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / fmt::format("mooncake_{}.jsonl", ::getpid());
  { std::ofstream(path) << text; }
  auto trace = ReadTrace(path.string(), TraceFormat::kMooncake);
  std::filesystem::remove(path);
  ASSERT_TRUE(trace.ok()) << trace.status();
  TraceWorkloadOptions workload;
  workload.rate_scale = 10;
  workload.same_time = SameTimeArrivals::kSpread;
  auto plan = PlanFromTrace(*trace, workload);
  ASSERT_TRUE(plan.ok());

  FakeOpenAiServer server({.ttft = 1ms, .itl = 1ms});
  ServeBenchOptions options = Options(server);
  options.prompt.form = PromptForm::kTokenIds;
  ServeBench bench(options, base::RealClock::Get());
  ASSERT_TRUE(bench.Prepare().ok());
  auto result = bench.Run(*plan, nullptr, nullptr);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->records.size(), 6u);
  // Spread steps, ten times faster: 0, 100, 200 ms; 300 ms; 600, 750 ms.
  const int64_t start = result->records[0].scheduled_us;
  std::vector<int64_t> offsets;
  for (const RequestRecord& r : result->records) offsets.push_back(r.scheduled_us - start);
  EXPECT_EQ(offsets, (std::vector<int64_t>{0, 100'000, 200'000, 300'000, 600'000, 750'000}));
  for (const RequestRecord& r : result->records) EXPECT_TRUE(r.ok()) << r.error_message;

  // The prompts the server saw, as token ids in plan order (sent in that order).
  std::vector<std::vector<int64_t>> prompts;
  for (const json::value& body : server.bodies()) {
    std::vector<int64_t> ids;
    for (const json::value& id : body.at("prompt").as_array()) ids.push_back(id.as_int64());
    prompts.push_back(std::move(ids));
  }
  ASSERT_EQ(prompts.size(), 6u);
  const std::vector<size_t> lengths = {1000, 600, 100, 1500, 512, 10};
  for (size_t i = 0; i < 6; ++i) EXPECT_EQ(prompts[i].size(), lengths[i]);
  auto block = [&](size_t request, size_t index, size_t length = 512) {
    return std::vector<int64_t>(prompts[request].begin() + index * 512,
                                prompts[request].begin() + index * 512 + length);
  };
  EXPECT_EQ(block(0, 0), block(1, 0));            // hash id 1
  EXPECT_EQ(block(0, 0), block(3, 0));            // hash id 1
  EXPECT_EQ(block(0, 1, 488), block(3, 1, 488));  // hash id 2 (488 tokens in request 0)
  EXPECT_NE(block(1, 1, 88), block(0, 1, 88));    // hash ids 3 and 2 differ
  EXPECT_EQ(block(2, 0, 100), block(4, 0, 100));  // hash id 4
}

TEST(ServeBenchTest, StopFlagEndsTheRunEarly) {
  FakeOpenAiServer server({.ttft = 1ms, .itl = 1ms});
  ServeBenchOptions options = Options(server);
  ServeBench bench(options, base::RealClock::Get());
  ASSERT_TRUE(bench.Prepare().ok());
  std::vector<PlannedRequest> plan = Synthetic(100, 10, 2);
  for (size_t i = 0; i < plan.size(); ++i) plan[i].arrival_us = static_cast<int64_t>(i) * 100'000;
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    while (server.requests() < 3) std::this_thread::yield();
    stop = true;
  });
  auto result = bench.Run(plan, nullptr, &stop);
  stopper.join();
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(result->interrupted);
  EXPECT_GE(result->records.size(), 3u);
  EXPECT_LT(result->records.size(), 10u);  // 100 planned over 10 s
}

}  // namespace
}  // namespace tokenfab::bench
