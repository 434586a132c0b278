// llama.cpp's llama-server as an upstream of the gateway (a third-party OpenAI-compatible
// server): streams relayed, usage metered as the server reports it, its prompt cache used
// (cache_prompt), its /metrics read with llama.cpp's metric names, and its death noticed.
#include <future>
#include <thread>

#include <boost/json.hpp>
#include <gmock/gmock.h>

#include "child_process.h"
#include "gateway/testing/test_client.h"
#include "gateway/testing/test_fleet.h"
#include "gateway/upstream_load.h"
#include "gateway_test_env.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/ledger/rate_counters.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/io_context_pool.h"

namespace tokenfab::gateway_it {
namespace {

using gateway::testing::CompletionBody;
using gateway::testing::ClientResult;
using gateway::testing::TestClient;
using testing_process::ChildProcess;
using namespace std::chrono_literals;

bool WaitFor(const std::function<bool()>& ready, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return ready();
}

class GatewayLlamaCppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = FreshDir("llamacpp");
    model_ = (dir_ / "tiny.gguf").string();
    const std::string create = fmt::format("'{}' model create --shape tiny --name tiny -o '{}' 2>&1",
                                           TOKENFAB_BINARY, model_);
    ASSERT_EQ(std::system(create.c_str()), 0);
    auto port = testing_process::FreePort();
    ASSERT_TRUE(port.ok());
    auto server = ChildProcess::Start(
        {TOKENFAB_LLAMA_SERVER, "-m", model_, "--host", "127.0.0.1", "--port",
         std::to_string(*port), "--metrics", "-a", "tiny", "-np", "2", "-c", "4096", "-t", "1",
         "--no-webui"},
        (dir_ / "llama-server.log").string(), /*port_from_stdout=*/false);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    port_ = *port;
    server_->set_port(*port);
    ASSERT_TRUE(server_->WaitHealthy("/health").ok()) << server_->Log();

    auto store = ledger::OpenSqliteStore((dir_ / "ledger.sqlite").string());
    ASSERT_TRUE(store.ok());
    store_ = *std::move(store);
    auto key = AddTenant(*store_, "acme", "premium");
    ASSERT_TRUE(key.ok());
    ASSERT_TRUE(AddCatchAllPrice(*store_).ok());
    key_ = *key;
    const std::string toml = gateway::testing::TestFleetToml(
        {{.url = fmt::format("http://127.0.0.1:{}", *port_), .kind = "llama.cpp",
          .models = "\"tiny\""}},
        fmt::format("[[models]]\nname = \"tiny\"\ngguf = \"{}\"\n", model_));
    auto config = fleet::ParseFleetConfig(toml, "llama.toml");
    ASSERT_TRUE(config.ok()) << config.status();
    gateway::GatewayOptions options;
    options.port = 0;
    options.io_threads = 1;
    options.poll_interval = 50ms;
    options.policy = "least-load";
    auto gw = gateway::Gateway::Start(options, std::make_shared<const fleet::FleetConfig>(*config),
                                      *store_, counters_, base::RealClock::Get());
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = *std::move(gw);
  }
  void TearDown() override {
    if (gateway_) gateway_->Stop();
  }

  // The model's weights are random: a grammar keeps its output to plain ASCII words, which
  // llama-server's output parser accepts (it refuses invalid UTF-8 with an error event).
  ClientResult Complete(const std::string& prompt, bool stream, bool usage, int max_tokens) {
    boost::json::object body =
        boost::json::parse(CompletionBody("tiny", prompt, stream, usage, max_tokens)).as_object();
    body["grammar"] = "root ::= [a-z ]+";
    return client_.Post(gateway_->port(), "/v1/completions", boost::json::serialize(body),
                        {.api_key = key_});
  }

  std::filesystem::path dir_;
  std::string model_;
  std::unique_ptr<ChildProcess> server_;
  std::optional<int> port_;
  std::unique_ptr<ledger::Store> store_;
  ledger::LocalCounters counters_;
  std::string key_;
  std::unique_ptr<gateway::Gateway> gateway_;
  TestClient client_;
};

TEST_F(GatewayLlamaCppTest, RelaysAndMetersWhatLlamaServerReports) {
  const ClientResult r = Complete("Tell me about the sea.", /*stream=*/true, /*usage=*/true, 16);
  ASSERT_TRUE(r.saw_done()) << r.status << " " << r.error().value_or("") << " "
                            << r.events.size() << " " << r.done;
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u0");
  ASSERT_TRUE(r.usage().has_value());
  EXPECT_EQ(r.usage()->completion_tokens, 16);
  auto e = store_->GetUsage(r.header("x-request-id"));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->prompt_tokens, r.usage()->prompt_tokens);
  EXPECT_EQ(e->completion_tokens, 16);
  EXPECT_EQ(e->upstream, "u0");
  EXPECT_GT(e->energy_wh, 0);

  // Without include_usage the client gets no usage chunk; the ledger still has the server's.
  const ClientResult quiet = Complete("Tell me about the sea.", true, false, 8);
  ASSERT_TRUE(quiet.saw_done());
  EXPECT_FALSE(quiet.usage().has_value());
  auto q = store_->GetUsage(quiet.header("x-request-id"));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->completion_tokens, 8);
  EXPECT_EQ(q->prompt_tokens, e->prompt_tokens);
  // The same prompt again: llama-server's prompt cache (cache_prompt) served part of it.
  EXPECT_GT(q->cached_tokens, 0);

  const ClientResult whole = Complete("Hi", /*stream=*/false, false, 4);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.usage()->completion_tokens, 4);
  EXPECT_EQ(store_->GetUsage(whole.header("x-request-id"))->completion_tokens, 4);
}

TEST_F(GatewayLlamaCppTest, ReadsItsMetricsAndNoticesWhenItDies) {
  // While a long answer runs, llama-server's /metrics says one request is processing.
  auto running = std::async(std::launch::async, [this] { return Complete("Count.", true, true, 3000); });
  net::IoContextPool pool(1);
  net::HttpClient client(pool);
  gateway::MetricsLoadReader reader(fleet::UpstreamKind::kLlamaCpp);
  int seen_running = 0;
  ASSERT_TRUE(WaitFor([&] {
    net::ClientRequest request;
    request.url.host = "127.0.0.1";
    request.url.port = static_cast<uint16_t>(*port_);
    request.url.target = "/metrics";
    auto answer = client.FetchBlocking(std::move(request));
    if (!answer.ok()) return false;
    auto load = reader.Read(answer->body);
    if (!load.ok()) return false;
    seen_running = load->running;
    return load->running >= 1;
  })) << "running " << seen_running;
  const ClientResult long_answer = running.get();
  EXPECT_TRUE(long_answer.saw_done()) << long_answer.status << " " << long_answer.error().value_or("")
                                      << " " << long_answer.events.size() << " " << long_answer.done
                                      << " " << (long_answer.events.empty() ? "" : long_answer.events.back());
  EXPECT_TRUE(gateway_->Snapshot()->state(0).healthy);
  EXPECT_GT(gateway_->Snapshot()->state(0).rtt_ms, 0);

  server_->Signal(SIGKILL);
  server_->Wait();
  ASSERT_TRUE(WaitFor([&] { return !gateway_->Snapshot()->state(0).healthy; }));
  const ClientResult r = Complete("anyone?", true, false, 4);
  EXPECT_EQ(r.status, 503) << "no healthy upstream is left";
}

}  // namespace
}  // namespace tokenfab::gateway_it
