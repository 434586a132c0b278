// End to end: three `tokenfab node --engine synthetic` processes as the three regions of the
// example fleet (examples/fleet-three-regions.toml: different prices, PUE and green shares),
// each behind a proxy that injects its configured round-trip time (12.5, 1.5 and 38 ms), and a
// `tokenfab gateway` process in front. On SQLite and on PostgreSQL (with Redis counters):
//   - the routing decisions of each policy;
//   - failover when a node is killed in the middle of a run;
//   - quotas (rate limits, token budgets) and data residency;
//   - ledger totals equal to the usage the clients saw, token for token.
// The deployment runs as in production: an operator token on every operations route (the gateway
// polls the nodes with it) and one prefix-hash secret shared by the gateway and the nodes.
#include <signal.h>

#include <atomic>
#include <fstream>
#include <future>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <gmock/gmock.h>

#include "absl/synchronization/mutex.h"

#include "child_process.h"
#include "gateway/testing/test_client.h"
#include "gateway_test_env.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::gateway_it {
namespace {

namespace json = boost::json;
using gateway::testing::ChatBody;
using gateway::testing::ClientResult;
using gateway::testing::TestClient;
using testing_process::ChildProcess;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kModel = "tokenfab-demo";

bool WaitFor(const std::function<bool()>& ready, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return ready();
}

// One site of the example fleet: a synthetic node and the proxy that puts the site's RTT on it.
struct Site {
  std::string upstream;  // the example's upstream name
  std::string region;
  int example_port;      // the port the example file names
  double rtt_ms;
  // The synthetic node's pace, in proportion to the site's hardware (8 H800, 8 H20, 4 H100), so
  // the decode rates the gateway measures tell the same story as the fleet file.
  double tpot_ms;
  std::unique_ptr<ChildProcess> node;
  std::unique_ptr<ChildProcess> proxy;
};

constexpr char kOperatorToken[] = "fleet-test-operator-token";

std::unique_ptr<ChildProcess> StartNode(const std::filesystem::path& dir, const std::string& name,
                                        double tpot_ms) {
  auto node = ChildProcess::Start(
      {TOKENFAB_BINARY, "node", "--engine", "synthetic", "--vocab", "llama3",
       "--served-model-name", kModel, "--port", "0", "--io-threads", "1",
       "--synthetic-ttft-ms", "20", "--synthetic-tpot-ms", fmt::format("{}", tpot_ms),
       "--max-running", "32", "--operator-token-file", (dir / "operator-token").string(),
       "--prefix-secret-file", (dir / "prefix-secret").string()},
      (dir / (name + ".log")).string(), /*port_from_stdout=*/true);
  EXPECT_TRUE(node.ok()) << node.status();
  if (!node.ok()) return nullptr;
  EXPECT_TRUE((*node)->WaitHealthy().ok()) << (*node)->Log();
  return *std::move(node);
}

std::unique_ptr<ChildProcess> StartProxy(const std::filesystem::path& dir, const std::string& name,
                                         int target_port, double rtt_ms) {
  auto proxy = ChildProcess::Start(
      {TOKENFAB_PYTHON, TOKENFAB_DELAY_PROXY, "--target", fmt::format("127.0.0.1:{}", target_port),
       "--rtt-ms", fmt::format("{}", rtt_ms)},
      (dir / (name + "-proxy.log")).string(), /*port_from_stdout=*/true);
  EXPECT_TRUE(proxy.ok()) << proxy.status();
  return proxy.ok() ? *std::move(proxy) : nullptr;
}

class GatewayFleetTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = FreshDir("fleet");
    WriteFile(dir_ / "operator-token", kOperatorToken);
    WriteFile(dir_ / "prefix-secret", "fleet-test-prefix-secret\n");
    sites_.push_back({"hub-node-1", "cn-west", 8101, 12.5, 2, nullptr, nullptr});
    sites_.push_back({"coast-node-1", "cn-east", 8102, 1.5, 6, nullptr, nullptr});
    sites_.push_back({"edge-node-1", "sg", 8103, 38, 4, nullptr, nullptr});
    for (Site& site : sites_) {
      site.node = StartNode(dir_, site.upstream, site.tpot_ms);
      ASSERT_NE(site.node, nullptr);
      site.proxy = StartProxy(dir_, site.upstream, site.node->port(), site.rtt_ms);
      ASSERT_NE(site.proxy, nullptr);
    }
    WriteFleet();
    auto location = FreshLedger(GetParam(), dir_);
    ASSERT_TRUE(location.ok()) << location.status();
    ledger_ = *location;
    auto store = ledger::OpenStore(ledger_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    auto key = AddTenant(*store_, "acme", "premium");
    ASSERT_TRUE(key.ok()) << key.status();
    ASSERT_TRUE(AddCatchAllPrice(*store_).ok());
    key_ = *key;
  }

  // The example fleet with each upstream's URL pointing at its site's proxy. `hub_last` moves the
  // hub's upstream from first to last in the file (coast, edge, hub), so that a choice of the hub
  // cannot be the tie-break's first-in-file.
  void WriteFleet(bool hub_last = false) {
    std::ifstream in(std::string(TOKENFAB_SOURCE_DIR) + "/examples/fleet-three-regions.toml");
    std::stringstream text;
    text << in.rdbuf();
    std::string toml = text.str();
    for (const Site& site : sites_) {
      toml = std::regex_replace(toml, std::regex(fmt::format("127\\.0\\.0\\.1:{}", site.example_port)),
                                fmt::format("127.0.0.1:{}", site.proxy->port()));
    }
    if (hub_last) {
      const size_t hub = toml.find("[[upstreams]]\nname = \"hub-node-1\"");
      const size_t next = toml.find("[[upstreams]]", hub + 1);
      ASSERT_NE(hub, std::string::npos);
      ASSERT_NE(next, std::string::npos);
      const std::string block = toml.substr(hub, next - hub);  // ends with its blank line
      toml.erase(hub, next - hub);
      const size_t edge = toml.find("[[upstreams]]\nname = \"edge-node-1\"");
      ASSERT_NE(edge, std::string::npos);
      const size_t after_edge = toml.find("\n\n", edge);
      ASSERT_NE(after_edge, std::string::npos);
      toml.insert(after_edge + 2, block);
    }
    WriteFile(dir_ / "fleet.toml", toml);
  }

  // The running requests the gateway's last poll saw at the upstream `name`.
  int64_t Running(const std::string& name) {
    const json::value fleet = Fleet();
    if (!fleet.is_object()) return -1;
    for (const json::value& up : fleet.at("upstreams").as_array()) {
      if (up.at("name").as_string() == name) return up.at("running").as_int64();
    }
    return -1;
  }

  void StartGateway(const std::string& policy, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {TOKENFAB_BINARY, "gateway", "--fleet",
                                     (dir_ / "fleet.toml").string(), "--listen", "127.0.0.1:0",
                                     "--ledger", ledger_, "--policy", policy, "--io-threads", "1",
                                     "--poll-interval-ms", "50", "--operator-token-file",
                                     (dir_ / "operator-token").string(), "--prefix-secret-file",
                                     (dir_ / "prefix-secret").string()};
    if (GetParam() == "postgresql") {
      argv.push_back("--redis");
      argv.push_back(!redis_url_.empty()
                         ? redis_url_
                         : fmt::format("redis://127.0.0.1:{}", ledger::Servers().redis->port()));
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto gw = ChildProcess::Start(argv, (dir_ / "gateway.log").string(), true);
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = *std::move(gw);
    // Every upstream polled, with its RTT measured through its proxy.
    ASSERT_TRUE(WaitFor([&] {
      json::value fleet = Fleet();
      if (!fleet.is_object()) return false;
      for (const json::value& up : fleet.at("upstreams").as_array()) {
        if (up.at("rtt_ms").to_number<double>() < 0) return false;
      }
      return true;
    })) << gateway_->Log();
  }

  json::value Fleet() {
    ClientResult r = client_.Get(static_cast<uint16_t>(gateway_->port()), "/fleet", kOperatorToken);
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    return ec ? json::value() : v;
  }

  ClientResult Chat(const std::string& content, const std::string& key, bool usage = true,
                    int max_tokens = 12) {
    return client_.Post(static_cast<uint16_t>(gateway_->port()), "/v1/chat/completions",
                        ChatBody(kModel, content, true, usage, max_tokens), {.api_key = key});
  }

  std::filesystem::path dir_;
  std::vector<Site> sites_;
  std::string ledger_;
  std::string redis_url_;  // empty: the shared server's (PostgreSQL runs only)
  std::unique_ptr<ledger::Store> store_;
  std::string key_;
  std::unique_ptr<ChildProcess> gateway_;
  TestClient client_;
};

TEST_P(GatewayFleetTest, MeasuresTheInjectedRoundTripTimes) {
  StartGateway("least-load");
  // Polls time /load through each proxy: about the injected RTT.
  ASSERT_TRUE(WaitFor([&] {
    json::array ups = Fleet().at("upstreams").as_array();
    return ups[0].at("rtt_ms").to_number<double>() > 11 && ups[2].at("rtt_ms").to_number<double>() > 36;
  }));
  // The injected delay is a floor; above it a loaded machine adds scheduling noise (a test
  // machine running other tests at once has shown 9 ms), hence the generous ceiling.
  json::array ups = Fleet().at("upstreams").as_array();
  for (size_t i = 0; i < sites_.size(); ++i) {
    const double rtt = ups[i].at("rtt_ms").to_number<double>();
    EXPECT_GE(rtt, 0.9 * sites_[i].rtt_ms) << sites_[i].upstream;
    EXPECT_LT(rtt, sites_[i].rtt_ms + 40) << sites_[i].upstream;
  }
  EXPECT_LT(ups[0].at("rtt_ms").to_number<double>(), ups[2].at("rtt_ms").to_number<double>());
}

// Keeps `per_node` streams running on each of the given nodes, sent to the nodes directly (not
// through the gateway), until destroyed: the gateway sees those upstreams busy in its polls.
class BusyNodes {
 public:
  BusyNodes(const std::vector<uint16_t>& ports, int per_node) {
    for (uint16_t port : ports) {
      for (int i = 0; i < per_node; ++i) {
        threads_.emplace_back([this, port] {
          TestClient client;
          while (!stop_) {
            client.Post(port, "/v1/chat/completions",
                        ChatBody(kModel, "keep busy", true, false, 300), {});
          }
        });
      }
    }
  }
  ~BusyNodes() {
    stop_ = true;
    for (std::thread& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST_P(GatewayFleetTest, EachPolicyRoutesAsItSays) {
  // The hub is last in the file (coast, edge, hub), so that no expected choice below is what a
  // policy that fell back to the first upstream in the file (the coast, cn-east) would give.
  WriteFleet(/*hub_last=*/true);
  const std::string kHub = "hub-node-1", kCoast = "coast-node-1";
  const auto port = [&](const std::string& name) {
    for (const Site& site : sites_) {
      if (site.upstream == name) return static_cast<uint16_t>(site.node->port());
    }
    return uint16_t{0};
  };
  // A conversation: requests that share a long prefix (many KV blocks) and differ at the end.
  std::string conversation;
  for (int i = 0; i < 40; ++i) conversation += fmt::format("turn {} of a long conversation. ", i);
  const auto route = [&](const std::string& policy, int i) {
    const ClientResult r =
        Chat(fmt::format("{}request {} under {}", conversation, i, policy), key_);
    EXPECT_TRUE(r.saw_done()) << policy << ": " << r.status << " " << r.body;
    return r.header("x-tokenfab-region");
  };
  const auto stop_gateway = [&] {
    gateway_->Signal(SIGTERM);
    gateway_->Wait();
  };

  // An idle fleet: round-robin takes turns in file order; cost-slo picks the lowest energy cost
  // per token (the hub: at every hour its power is the cheapest, and its tokens per joule,
  // nominal and measured, the most); green-first the greenest supply (the hub, 55 %).
  struct Case {
    std::string policy;
    std::vector<std::string> regions;  // of six requests one after the other
  };
  const std::vector<std::string> hub(6, "cn-west");
  for (const Case& c :
       {Case{"round-robin", {"cn-east", "sg", "cn-west", "cn-east", "sg", "cn-west"}},
        Case{"cost-slo", hub}, Case{"green-first", hub}}) {
    StartGateway(c.policy);
    std::vector<std::string> regions;
    for (int i = 0; i < 6; ++i) regions.push_back(route(c.policy, i));
    EXPECT_EQ(regions, c.regions) << c.policy;
    stop_gateway();
  }

  // least-load, with the coast (first in the file) and the hub busy: every request to the edge.
  {
    BusyNodes busy({port(kCoast), port(kHub)}, 4);
    StartGateway("least-load");
    ASSERT_TRUE(WaitFor([&] { return Running(kCoast) >= 3 && Running(kHub) >= 3; }))
        << gateway_->Log();
    std::vector<std::string> regions;
    for (int i = 0; i < 6; ++i) regions.push_back(route("least-load", i));
    EXPECT_EQ(regions, std::vector<std::string>(6, "sg")) << "least-load";
    stop_gateway();
  }

  // The default: a conversation starts where the load is least (the edge, while the coast and the
  // hub are busy) and stays there once the fleet is idle again, where load alone would now pick
  // the coast (the first in the file).
  const std::string policy(routing::kDefaultPolicySpec);
  StartGateway(policy);
  std::vector<std::string> regions;
  {
    BusyNodes busy({port(kCoast), port(kHub)}, 4);
    ASSERT_TRUE(WaitFor([&] { return Running(kCoast) >= 3 && Running(kHub) >= 3; }))
        << gateway_->Log();
    regions.push_back(route(policy, 0));
  }
  ASSERT_TRUE(WaitFor([&] { return Running(kCoast) == 0 && Running(kHub) == 0; }))
      << gateway_->Log();
  for (int i = 1; i < 6; ++i) regions.push_back(route(policy, i));
  EXPECT_EQ(regions, std::vector<std::string>(6, "sg")) << policy;
  stop_gateway();
}

TEST_P(GatewayFleetTest, ResidencyAndQuotasAreEnforced) {
  auto sg = AddTenant(*store_, "sgcorp", "premium", {"sg"});
  auto cn = AddTenant(*store_, "cncorp", "premium", {"cn"});
  ledger::Limits small;
  small.rpm = 3;
  auto limited = AddTenant(*store_, "small", "premium", {}, small);
  ledger::Limits budget;
  budget.token_budget = 100;
  budget.budget_period = ledger::BudgetPeriod::kDay;
  auto thrifty = AddTenant(*store_, "thrifty", "premium", {}, budget);
  ASSERT_TRUE(sg.ok() && cn.ok() && limited.ok() && thrifty.ok());
  StartGateway(std::string(routing::kDefaultPolicySpec));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(Chat("where am I served?", *sg).header("x-tokenfab-region"), "sg");
    EXPECT_NE(Chat("where am I served?", *cn).header("x-tokenfab-region"), "sg");
  }
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Chat("hi", *limited).saw_done());
  const ClientResult over = Chat("hi", *limited);
  EXPECT_EQ(over.status, 429);
  EXPECT_FALSE(over.header("Retry-After").empty());
  EXPECT_THAT(over.body, HasSubstr("rate_limit_exceeded"));
  // The budget: 100 tokens a day; the first answers spend it, then insufficient_quota.
  int answered = 0;
  ClientResult refused;
  for (int i = 0; i < 20; ++i) {
    refused = Chat("spend my budget please", *thrifty, true, 40);
    if (refused.status != 200) break;
    ++answered;
  }
  EXPECT_GE(answered, 1);
  EXPECT_EQ(refused.status, 429);
  EXPECT_THAT(refused.body, HasSubstr("insufficient_quota"));
}

// Redis killed under a gateway started with --redis-down local: it goes on admitting on its share
// of the limits (1/--gateway-count), raises the alert and says so in /metrics.
TEST_P(GatewayFleetTest, WithRedisDownLocalAGatewayAdmitsOnItsShareAndSaysSo) {
  if (GetParam() != "postgresql") GTEST_SKIP() << "Redis comes with the PostgreSQL deployment";
  auto redis = ledger::testing_servers::RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.status();
  redis_url_ = fmt::format("redis://127.0.0.1:{}", (*redis)->port());
  ledger::Limits small;
  small.rpm = 4;
  auto tenant = AddTenant(*store_, "small", "premium", {}, small);
  ASSERT_TRUE(tenant.ok());
  StartGateway(std::string(routing::kDefaultPolicySpec),
               {"--redis-down", "local", "--gateway-count", "2"});
  const auto gw = static_cast<uint16_t>(gateway_->port());
  EXPECT_THAT(client_.Get(gw, "/metrics", kOperatorToken).body,
              HasSubstr("tokenfab_gateway_redis_up 1"));
  (*redis)->Kill();
  // 4 requests a minute across two gateways: this one alone admits 2.
  EXPECT_TRUE(Chat("hi", *tenant).saw_done()) << gateway_->Log();
  EXPECT_TRUE(Chat("hi", *tenant).saw_done());
  EXPECT_EQ(Chat("hi", *tenant).status, 429);
  EXPECT_THAT(client_.Get(gw, "/metrics", kOperatorToken).body,
              HasSubstr("tokenfab_gateway_redis_up 0"));
  EXPECT_THAT(gateway_->Log(), HasSubstr("ALERT Redis unreachable"));
}

TEST_P(GatewayFleetTest, FailsOverWhenANodeDiesMidRunAndBillsWhatClientsSaw) {
  StartGateway("round-robin");
  constexpr int kRequests = 90;
  std::atomic<int> next{0};
  absl::Mutex mu;
  std::vector<ClientResult> results(kRequests);
  std::vector<std::thread> clients;
  std::atomic<bool> killed{false};
  for (int c = 0; c < 6; ++c) {
    clients.emplace_back([&] {
      TestClient client;
      for (int i; (i = next.fetch_add(1)) < kRequests;) {
        results[i] =
            client.Post(static_cast<uint16_t>(gateway_->port()), "/v1/chat/completions",
                        ChatBody(kModel, fmt::format("request number {}", i), true, true, 24),
                        {.api_key = key_});
        if (i == kRequests / 3 && !killed.exchange(true)) {
          sites_[1].node->Signal(SIGKILL);  // the coast node, in the middle of the run
        }
      }
    });
  }
  for (std::thread& t : clients) t.join();
  int completed = 0, aborted = 0;
  std::map<std::string, int> by_region;
  int64_t seen_prompt = 0, seen_completion = 0;
  for (const ClientResult& r : results) {
    if (r.saw_done()) {
      ++completed;
      ++by_region[r.header("x-tokenfab-region")];
      ASSERT_TRUE(r.usage().has_value());
      seen_prompt += r.usage()->prompt_tokens;
      seen_completion += r.usage()->completion_tokens;
    } else {
      // Only answers that were streaming from the node when it died may be cut.
      EXPECT_EQ(r.status, 200) << r.body;
      EXPECT_EQ(r.header("x-tokenfab-region"), "cn-east");
      ++aborted;
    }
  }
  EXPECT_LE(aborted, 6) << "at most the streams in flight on the dead node";
  EXPECT_EQ(completed + aborted, kRequests);
  EXPECT_GT(by_region["cn-west"], kRequests / 4);
  EXPECT_GT(by_region["sg"], kRequests / 4);
  // The node is marked down, and the fleet goes on without it.
  ASSERT_TRUE(WaitFor([&] { return !Fleet().at("upstreams").at(1).at("healthy").as_bool(); }));
  for (int i = 0; i < 6; ++i) {
    const ClientResult r = Chat("after the failure", key_);
    ASSERT_TRUE(r.saw_done());
    EXPECT_NE(r.header("x-tokenfab-region"), "cn-east");
    seen_prompt += r.usage()->prompt_tokens;
    seen_completion += r.usage()->completion_tokens;
  }
  // The ledger: the answers the clients finished, token for token, plus what the cut answers
  // delivered (counted with the model's vocabulary, status "aborted").
  ledger::UsageQuery ok_only;
  ok_only.tenant = "acme";
  auto rows = store_->QueryUsage(ok_only);
  ASSERT_TRUE(rows.ok());
  int64_t prompt = 0, completion = 0;
  for (const ClientResult& r : results) {
    if (r.saw_done()) continue;
    auto e = store_->GetUsage(r.header("x-request-id"));
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->status, "aborted");
    prompt += e->prompt_tokens;
    completion += e->completion_tokens;
  }
  EXPECT_EQ((*rows)[0].requests, kRequests + 6);
  EXPECT_EQ((*rows)[0].prompt_tokens - prompt, seen_prompt);
  EXPECT_EQ((*rows)[0].completion_tokens - completion, seen_completion);
}

// The premium tier's objectives met and missed so far, from the gateway's /metrics.
struct SloCounts {
  int64_t met = 0, missed = 0;
};
SloCounts SloRequests(const std::string& metrics, const std::string& objective) {
  SloCounts counts;
  std::istringstream lines(metrics);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("tokenfab_gateway_slo_requests_total{", 0) != 0) continue;
    if (line.find("tier=\"premium\"") == std::string::npos ||
        line.find(fmt::format("objective=\"{}\"", objective)) == std::string::npos) {
      continue;
    }
    const int64_t n = std::llround(std::stod(line.substr(line.rfind(' ') + 1)));
    (line.find("result=\"met\"") != std::string::npos ? counts.met : counts.missed) += n;
  }
  return counts;
}

// The cheap hub is made slow mid-run (its node's steps 40 times their model, set by the operator
// as a throttled accelerator would be): under goodput-cost, traffic leaves it before the premium
// tier's objectives (TTFT 500 ms, TPOT 30 ms; the hub now takes 80 ms a token) break.
TEST_P(GatewayFleetTest, TrafficMovesOffTheHubMadeSlowMidRun) {
  if (GetParam() != "sqlite") GTEST_SKIP() << "routing does not depend on the store";
  StartGateway("goodput-cost");
  const uint16_t gw = static_cast<uint16_t>(gateway_->port());
  // Four clients, one request after the other each: the regions that served them.
  const auto run = [&](int per_client) {
    absl::Mutex mu;
    std::map<std::string, int> regions;
    std::vector<std::thread> clients;
    for (int c = 0; c < 4; ++c) {
      clients.emplace_back([&, c] {
        TestClient client;
        for (int i = 0; i < per_client; ++i) {
          const ClientResult r = client.Post(
              gw, "/v1/chat/completions",
              ChatBody(kModel, fmt::format("client {} request {}", c, i), true, true, 12),
              {.api_key = key_});
          EXPECT_TRUE(r.saw_done()) << r.status << " " << r.body;
          absl::MutexLock lock(&mu);
          ++regions[r.header("x-tokenfab-region")];
        }
      });
    }
    for (std::thread& t : clients) t.join();
    return regions;
  };
  std::map<std::string, int> before = run(5);
  // The cheap hub takes its share of a light load (the rest goes where the energy of this hour
  // or the prediction's margin puts it).
  EXPECT_GE(before["cn-west"], 5) << before["cn-east"] << " " << before["sg"];

  const ClientResult paced =
      client_.Post(static_cast<uint16_t>(sites_[0].node->port()), "/admin/pace",
                   R"({"factor": 40})", {.api_key = kOperatorToken});
  ASSERT_EQ(paced.status, 200) << paced.body;
  // The gateway's next poll sees the hub's model at its new pace.
  ASSERT_TRUE(WaitFor([&] {
    const json::value fleet = Fleet();
    if (!fleet.is_object()) return false;
    const json::object& hub = fleet.at("upstreams").at(0).as_object();
    return hub.contains("step_model") &&
           hub.at("step_model").at("base_us").to_number<double>() > 30'000;
  })) << gateway_->Log();

  const std::string metrics_before = client_.Get(gw, "/metrics", kOperatorToken).body;
  std::map<std::string, int> after = run(6);
  const std::string metrics_after = client_.Get(gw, "/metrics", kOperatorToken).body;
  EXPECT_LE(after["cn-west"], 2) << "the slow hub keeps at most a stray request";
  for (const char* objective : {"ttft", "tpot"}) {
    const SloCounts a = SloRequests(metrics_before, objective);
    const SloCounts b = SloRequests(metrics_after, objective);
    const int64_t met = b.met - a.met, missed = b.missed - a.missed;
    EXPECT_EQ(met + missed, 24) << objective;
    EXPECT_GE(met, 22) << objective << ": most requests after the slowdown meet it";
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, GatewayFleetTest, ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace tokenfab::gateway_it
