// Membership through PostgreSQL, end to end: a real PostgreSQL (loopback port, temporary
// cluster), three `tokenfab gateway --registry postgresql://…` processes whose fleet file lists
// no upstream at all, and synthetic `tokenfab node --registry postgresql://…` processes that
// join and leave at random under light load. Every request is served; after each change every
// gateway converges to the same membership within the lease time; a node killed with SIGKILL
// leaves every view once its heartbeat lapses, and its row is swept.
//
// Skipped when the PostgreSQL server binaries are missing (scripts/setup installs postgresql).
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"

#include "child_process.h"
#include "gateway/testing/test_client.h"
#include "gateway_test_env.h"
#include "ledger_servers.h"
#include "registry_test_env.h"
#include "tokenfab/ledger/postgres_pool.h"

namespace tokenfab::gateway_it {
namespace {

// One region, one site for the nodes, and no upstream: they all come from the registry.
constexpr char kEmptyFleet[] = R"(currency = "CNY"
gateway = "gw-test"
[[regions]]
name = "r0"
[[sites]]
name = "s0"
region = "r0"
[sites.energy]
price = 0.4
pue = 1.2
green_share = 0.5
carbon_g_per_kwh = 300
)";

class PostgresRegistryTest : public RegistryTestBase {
 protected:
  void SetUp() override {
    auto server = ledger::testing_servers::PostgresServer::Start({});
    if (!server.ok()) GTEST_SKIP() << "no PostgreSQL server: " << server.status();
    postgres_ = *std::move(server);
    auto uri = postgres_->CreateDatabase();
    ASSERT_TRUE(uri.ok()) << uri.status();
    registry_ = *uri;
    dir_ = FreshDir("registry-pg");
  }

  // Rows in the members table for `name` (expired or not).
  int64_t Rows(const std::string& name) {
    ledger::PostgresPool pool(registry_, 1, "test");
    auto session = pool.Acquire();
    EXPECT_TRUE(session.ok()) << session.status();
    int64_t rows = -1;
    Status s = (*session)->Query("SELECT count(*) FROM registry_members WHERE key = ?1",
                                 {"/tokenfab/nodes/s0/" + name},
                                 [&](const ledger::SqlRow& row) { rows = row.Int(0); });
    EXPECT_TRUE(s.ok()) << s;
    return rows;
  }

  std::unique_ptr<ledger::testing_servers::PostgresServer> postgres_;
};

TEST_F(PostgresRegistryTest, NodesJoinAndLeaveAtRandomUnderLoadAndEveryGatewayConverges) {
  const std::filesystem::path fleet = dir_ / "fleet.toml";
  WriteFile(fleet, kEmptyFleet);
  std::vector<std::unique_ptr<ChildProcess>> gateways;
  std::vector<uint16_t> ports;
  for (int i = 0; i < 3; ++i) {
    gateways.push_back(StartGateway(i, fleet));
    ASSERT_TRUE(gateways.back());
    ports.push_back(static_cast<uint16_t>(gateways.back()->port()));
  }
  TestClient client;
  // No node yet: an OpenAI error saying no upstream has joined, not a wrong model.
  ClientResult none = client.Post(ports[0], "/v1/chat/completions", ChatBody("m", "hi", false),
                                  {.api_key = keys_[0]});
  EXPECT_EQ(none.status, 503) << none.body;
  EXPECT_NE(none.body.find("no_upstream_available"), std::string::npos) << none.body;

  std::map<std::string, std::unique_ptr<ChildProcess>> live;
  std::set<std::string> names;
  for (const char* name : {"n1", "n2", "n3"}) {
    live[name] = StartNode(name);
    ASSERT_TRUE(live[name]);
    names.insert(name);
  }
  const double join_s = WaitForMembers(client, ports, names, Clock::now(), 10s);
  ASSERT_GE(join_s, 0) << gateways[0]->Log();

  // Light load through the three gateways in turn for the rest of the test.
  std::atomic<bool> stop_load{false};
  std::atomic<int> served{0};
  absl::Mutex mu;
  std::vector<std::string> failures;
  std::thread load([&] {
    TestClient load_client;
    for (int i = 0; !stop_load.load(); ++i) {
      const size_t g = static_cast<size_t>(i % 3);
      ClientResult r = load_client.Post(ports[g], "/v1/chat/completions",
                                        ChatBody("m", fmt::format("hello {}", i), false, false, 4),
                                        {.api_key = keys_[g]});
      if (r.status == 200) {
        served.fetch_add(1);
      } else {
        absl::MutexLock lock(&mu);
        failures.push_back(fmt::format("gateway {}: {} {}", g, r.status, r.body));
      }
      std::this_thread::sleep_for(20ms);
    }
  });

  // Random joins and graceful leaves; after each, every gateway sees the same members within
  // the lease time.
  const unsigned seed = std::random_device{}();
  std::printf("[seed] %u\n", seed);
  std::mt19937 random(seed);
  std::vector<std::unique_ptr<ChildProcess>> stopped;
  double slowest_join_s = 0;  // from starting the process: mostly its start
  double slowest_drain_s = 0;
  for (int step = 0, next = 4; step < 5; ++step) {
    const bool join = names.size() <= 1 || (names.size() < 4 && random() % 2 == 0);
    const Clock::time_point changed = Clock::now();
    if (join) {
      const std::string name = fmt::format("n{}", next++);
      live[name] = StartNode(name);
      ASSERT_TRUE(live[name]);
      names.insert(name);
    } else {
      auto it = std::next(names.begin(), static_cast<long>(random() % names.size()));
      const std::string name = *it;
      names.erase(it);
      live[name]->Signal(SIGTERM);
      stopped.push_back(std::move(live[name]));
      live.erase(name);
    }
    const double s = WaitForMembers(client, ports, names, changed, 10s);
    ASSERT_GE(s, 0) << "step " << step << ": the gateways did not converge";
    EXPECT_LE(s, kLeaseSeconds) << "step " << step;
    double& slowest = join ? slowest_join_s : slowest_drain_s;
    slowest = std::max(slowest, s);
  }
  std::printf(
      "[figure] random joins (process start included) and SIGTERM drains: every gateway "
      "converged within %.2f s and %.2f s\n",
      slowest_join_s, slowest_drain_s);

  // SIGKILL: no goodbye; the heartbeat lapses, every view drops the node, a sweep deletes it.
  // Another node stays, to take the requests retried off the dead one.
  if (names.size() < 2) {
    live["n9"] = StartNode("n9");
    ASSERT_TRUE(live["n9"]);
    names.insert("n9");
    ASSERT_GE(WaitForMembers(client, ports, names, Clock::now(), 10s), 0);
  }
  // Killed at once: a request that arrived before the other node joined a gateway's fleet is
  // retried on the fleet in force, which has it.
  const std::string victim = *names.begin();
  names.erase(names.begin());
  const Clock::time_point killed = Clock::now();
  live[victim]->Signal(SIGKILL);
  const double lapse_s = WaitForMembers(client, ports, names, killed, 10s);
  ASSERT_GE(lapse_s, 0);
  EXPECT_LE(lapse_s, kLeaseSeconds + 1.0);
  std::printf("[figure] SIGKILL of a node to every gateway dropping it: %.2f s (lease %d s)\n",
              lapse_s, kLeaseSeconds);
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(Rows(victim), 0) << "the expired row was swept";

  stop_load = true;
  load.join();
  {
    absl::MutexLock lock(&mu);
    EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  }
  EXPECT_GT(served.load(), 20);
  std::printf("[figure] %d requests under light load through 3 gateways, %zu failed\n",
              served.load(), failures.size());
  for (auto& node : stopped) {
    const int status = node->Wait(20s);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << node->Log();
    EXPECT_NE(node->Log().find("deregistered"), std::string::npos) << node->Log();
  }
  for (auto& gw : gateways) {
    EXPECT_EQ(MetricLine(client, static_cast<uint16_t>(gw->port()), "tokenfab_gateway_registry_up"),
              "tokenfab_gateway_registry_up 1");
    gw->Signal(SIGTERM);
    EXPECT_EQ(gw->Wait(20s), 0) << gw->Log();
  }
  for (auto& [name, node] : live) {
    if (name == victim) continue;
    node->Signal(SIGTERM);
    node->Wait(20s);
  }
}

}  // namespace
}  // namespace tokenfab::gateway_it
