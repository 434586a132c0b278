// Membership through etcd, end to end: a real etcd (loopback port, temporary data directory),
// two `tokenfab gateway --registry` processes and three synthetic `tokenfab node --registry`
// processes. Both gateways converge to the same membership; a node killed with SIGKILL leaves
// both views once its lease lapses; a node stopped with SIGTERM mid-stream finishes its streams
// and leaves; requests under light load all succeed through the changes; a gateway that loses
// the registry keeps serving and says so in /metrics; `tokenfab node --drain` drains a node the
// same way.
//
// Skipped when the etcd binary is missing (scripts/setup installs etcd-server).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <future>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "absl/synchronization/mutex.h"

#include "child_process.h"
#include "gateway/testing/fake_upstream.h"
#include "gateway/testing/test_client.h"
#include "gateway/testing/test_fleet.h"
#include "gateway_test_env.h"
#include "registry_test_env.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/registry/membership_watcher.h"
#include "tokenfab/registry/node_registration.h"

namespace tokenfab::gateway_it {
namespace {

using gateway::testing::FakeUpstream;

class RegistryIntegrationTest : public RegistryTestBase {
 protected:
  void SetUp() override {
    if (access(TOKENFAB_ETCD, X_OK) != 0) {
      GTEST_SKIP() << "etcd not found at " << TOKENFAB_ETCD
                   << " (scripts/setup installs etcd-server)";
    }
    dir_ = FreshDir("registry");
    auto client_port = testing_process::FreePort();
    auto peer_port = testing_process::FreePort();
    ASSERT_TRUE(client_port.ok() && peer_port.ok());
    client_port_ = *client_port;
    peer_port_ = *peer_port;
    StartEtcd("etcd");
    registry_ = fmt::format("etcd://127.0.0.1:{}", client_port_);
  }

  // Starts etcd on the fixture's ports with the data directory `data` (under dir_).
  void StartEtcd(const std::string& data) {
    const std::string client_url = fmt::format("http://127.0.0.1:{}", client_port_);
    const std::string peer_url = fmt::format("http://127.0.0.1:{}", peer_port_);
    auto etcd = ChildProcess::Start(
        {TOKENFAB_ETCD, "--name", "it", "--data-dir", (dir_ / data).string(),
         "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
         "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
         "--initial-cluster", "it=" + peer_url},
        (dir_ / (data + ".log")).string(), false);
    ASSERT_TRUE(etcd.ok()) << etcd.status();
    etcd_ = *std::move(etcd);
    etcd_->set_port(client_port_);
    ASSERT_TRUE(etcd_->WaitHealthy("/health", 20s).ok()) << etcd_->Log();
  }

  std::unique_ptr<ChildProcess> etcd_;
  int client_port_ = 0;
  int peer_port_ = 0;
};

TEST_F(RegistryIntegrationTest, NodesJoinDrainAndLeaveEveryGatewaysView) {
  // The fleet file: one site for the nodes, and a static upstream serving another model.
  auto fixed = FakeUpstream::Start({.tokens = 3, .name = "static"});
  ASSERT_TRUE(fixed.ok());
  const std::filesystem::path fleet = dir_ / "fleet.toml";
  WriteFile(fleet, gateway::testing::TestFleetToml(
                       {{.url = (*fixed)->url(), .models = "\"other\"", .name = "static"}}));
  std::vector<std::unique_ptr<ChildProcess>> gateways;
  for (int i = 0; i < 2; ++i) gateways.push_back(StartGateway(i, fleet));
  ASSERT_TRUE(gateways[0] && gateways[1]);
  const std::vector<uint16_t> ports = {static_cast<uint16_t>(gateways[0]->port()),
                                       static_cast<uint16_t>(gateways[1]->port())};
  TestClient client;

  const Clock::time_point started = Clock::now();
  std::vector<std::unique_ptr<ChildProcess>> nodes;
  for (const char* name : {"n1", "n2", "n3"}) nodes.push_back(StartNode(name));
  // A node whose model has no price registers too, and is left out of every gateway's fleet.
  std::unique_ptr<ChildProcess> unpriced = StartNode("n4", "unpriced");
  ASSERT_TRUE(nodes[0] && nodes[1] && nodes[2] && unpriced);
  const double join_s = WaitForMembers(client, ports, {"n1", "n2", "n3"}, started, 20s);
  ASSERT_GE(join_s, 0) << gateways[0]->Log();
  std::printf("[figure] 3 nodes started to both gateways routing to them: %.2f s\n", join_s);

  // Light load through both gateways for the rest of the test: every request must succeed.
  std::atomic<bool> stop_load{false};
  std::atomic<int> served{0};
  std::vector<std::string> failures;
  std::thread load([&] {
    TestClient load_client;
    for (int i = 0; !stop_load.load(); ++i) {
      const size_t g = static_cast<size_t>(i % 2);
      ClientResult r =
          load_client.Post(ports[g], "/v1/chat/completions",
                           ChatBody("m", "hello", false, false, 4), {.api_key = keys_[g]});
      if (r.status == 200) {
        served.fetch_add(1);
      } else {
        failures.push_back(fmt::format("gateway {}: {} {}", g, r.status, r.body));
      }
      std::this_thread::sleep_for(20ms);
    }
  });

  // SIGKILL: no goodbye; the lease lapses and both views drop the node.
  const Clock::time_point killed = Clock::now();
  nodes[0]->Signal(SIGKILL);
  const double leave_s = WaitForMembers(client, ports, {"n2", "n3"}, killed, 15s);
  ASSERT_GE(leave_s, 0);
  EXPECT_LE(leave_s, kLeaseSeconds + 3.0);
  std::printf("[figure] SIGKILL of a node to both gateways dropping it: %.2f s (lease %d s)\n",
              leave_s, kLeaseSeconds);

  // SIGTERM mid-stream: the node withdraws, finishes its streams, then deregisters.
  std::vector<std::future<ClientResult>> streams;
  for (int i = 0; i < 6; ++i) {
    streams.push_back(std::async(std::launch::async, [&, i] {
      TestClient c;
      return c.Post(ports[static_cast<size_t>(i % 2)], "/v1/chat/completions",
                    ChatBody("m", fmt::format("story {}", i), true, false, 120),
                    {.api_key = keys_[static_cast<size_t>(i % 2)]});
    }));
  }
  std::this_thread::sleep_for(400ms);
  const Clock::time_point terminated = Clock::now();
  nodes[1]->Signal(SIGTERM);
  const double drain_s = WaitForMembers(client, ports, {"n3"}, terminated, 10s);
  ASSERT_GE(drain_s, 0);
  std::printf("[figure] SIGTERM of a node to both gateways no longer routing to it: %.2f s\n",
              drain_s);
  int on_n2 = 0;
  for (auto& s : streams) {
    const ClientResult r = s.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.saw_done()) << "a stream was cut: " << r.body;
    if (r.header("x-tokenfab-upstream") == "n2") ++on_n2;
  }
  EXPECT_GT(on_n2, 0) << "no stream ran on the node that was stopped";
  const int status = nodes[1]->Wait(10s);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << nodes[1]->Log();
  EXPECT_NE(nodes[1]->Log().find("deregistered"), std::string::npos) << nodes[1]->Log();

  for (uint16_t port : ports) {
    EXPECT_EQ(MetricLine(client, port, "tokenfab_gateway_registry_up"),
              "tokenfab_gateway_registry_up 1");
    // n3 and the unpriced n4 are registered; only n3 is routed to.
    EXPECT_EQ(MetricLine(client, port, "tokenfab_gateway_registry_members"),
              "tokenfab_gateway_registry_members 2");
    EXPECT_EQ(MetricLine(client, port, "tokenfab_gateway_registry_joined"),
              "tokenfab_gateway_registry_joined 1");
  }

  // The registry goes away: the gateways keep serving on their last view, and say so.
  etcd_->Signal(SIGKILL);
  etcd_->Wait(5s);
  const Clock::time_point lost = Clock::now();
  while (MetricLine(client, ports[0], "tokenfab_gateway_registry_up") !=
             "tokenfab_gateway_registry_up 0" &&
         Clock::now() - lost < 5s) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(MetricLine(client, ports[0], "tokenfab_gateway_registry_up"),
            "tokenfab_gateway_registry_up 0");
  EXPECT_EQ(Members(client, ports[0]), std::set<std::string>{"n3"});
  std::this_thread::sleep_for(300ms);  // a few more requests with the registry gone

  stop_load = true;
  load.join();
  EXPECT_TRUE(failures.empty()) << failures.size() << " failed, first: " << failures.front();
  EXPECT_GT(served.load(), 20);
  std::printf("[figure] %d requests under light load, %zu failed\n", served.load(),
              failures.size());
  for (auto& gw : gateways) {
    gw->Signal(SIGTERM);
    EXPECT_EQ(gw->Wait(20s), 0) << gw->Log();
  }
  nodes[2]->Signal(SIGTERM);
  nodes[2]->Wait(20s);
}

// `tokenfab node --drain` (what a unit's ExecStop or a pod's preStop runs): the node leaves every
// gateway's routing at once, its streams finish, nothing new reaches it, it deregisters and
// exits 0; the command waits for that and exits 0.
TEST_F(RegistryIntegrationTest, DrainCommandFinishesStreamsAndTheNodeTakesNothingNew) {
  auto fixed = FakeUpstream::Start({.tokens = 3, .name = "static"});
  ASSERT_TRUE(fixed.ok());
  const std::filesystem::path fleet = dir_ / "fleet.toml";
  WriteFile(fleet, gateway::testing::TestFleetToml(
                       {{.url = (*fixed)->url(), .models = "\"other\"", .name = "static"}}));
  std::unique_ptr<ChildProcess> gateway = StartGateway(0, fleet);
  ASSERT_TRUE(gateway);
  const std::vector<uint16_t> ports = {static_cast<uint16_t>(gateway->port())};
  TestClient client;
  std::unique_ptr<ChildProcess> n1 = StartNode("n1");
  std::unique_ptr<ChildProcess> n2 = StartNode("n2");
  ASSERT_TRUE(n1 && n2);
  ASSERT_GE(WaitForMembers(client, ports, {"n1", "n2"}, Clock::now(), 20s), 0) << gateway->Log();

  std::vector<std::future<ClientResult>> streams;
  for (int i = 0; i < 4; ++i) {
    streams.push_back(std::async(std::launch::async, [&, i] {
      TestClient c;
      return c.Post(ports[0], "/v1/chat/completions",
                    ChatBody("m", fmt::format("story {}", i), true, false, 120),
                    {.api_key = keys_[0]});
    }));
  }
  std::this_thread::sleep_for(300ms);
  const Clock::time_point asked = Clock::now();
  auto drain = ChildProcess::Start({TOKENFAB_BINARY, "node", "--drain", "--port",
                                    std::to_string(n1->port()), "--drain-timeout-s", "30"},
                                   (dir_ / "drain.log").string(), false);
  ASSERT_TRUE(drain.ok()) << drain.status();
  const double withdrawn_s = WaitForMembers(client, ports, {"n2"}, asked, 10s);
  ASSERT_GE(withdrawn_s, 0) << (*drain)->Log();
  std::printf("[figure] `tokenfab node --drain` to the gateway no longer routing to it: %.2f s\n",
              withdrawn_s);
  // While n1 finishes its streams, every new request is served, by n2.
  for (int i = 0; i < 10; ++i) {
    const ClientResult r =
        client.Post(ports[0], "/v1/chat/completions", ChatBody("m", "hello", false, false, 4),
                    {.api_key = keys_[0]});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("x-tokenfab-upstream"), "n2");
  }
  int on_n1 = 0;
  for (auto& s : streams) {
    const ClientResult r = s.get();
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(r.saw_done()) << "a stream was cut: " << r.body;
    if (r.header("x-tokenfab-upstream") == "n1") ++on_n1;
  }
  EXPECT_GT(on_n1, 0) << "no stream ran on the drained node";
  const int drain_status = (*drain)->Wait(30s);
  EXPECT_TRUE(WIFEXITED(drain_status) && WEXITSTATUS(drain_status) == 0)  // 0: it drained
      << (*drain)->Log();
  std::printf("[figure] `tokenfab node --drain` with 120-token streams in flight: %.2f s\n",
              Seconds(Clock::now() - asked));
  const int node_status = n1->Wait(10s);
  EXPECT_TRUE(WIFEXITED(node_status) && WEXITSTATUS(node_status) == 0) << n1->Log();
  EXPECT_NE(n1->Log().find("deregistered"), std::string::npos) << n1->Log();

  gateway->Signal(SIGTERM);
  EXPECT_EQ(gateway->Wait(20s), 0) << gateway->Log();
  n2->Signal(SIGTERM);
  n2->Wait(20s);
}

// etcd comes back empty (a new data directory: every lease and key gone): the node finds its
// lease unknown and registers again; the watcher lists again and sees it. In process.
TEST_F(RegistryIntegrationTest, NodesRegisterAgainWhenTheRegistryComesBackEmpty) {
  auto url = registry::ParseRegistryUrl(registry_);
  ASSERT_TRUE(url.ok());
  registry::MemberRecord record;
  record.name = "n1";
  record.site = "s0";
  record.url = "http://127.0.0.1:1";
  record.models = {"m"};
  record.hardware = *registry::ParseHardwareSpec(kHardware);
  auto node = registry::NodeRegistration::Start(*url, record, std::chrono::seconds(2));
  ASSERT_TRUE(node.ok()) << node.status();

  absl::Mutex mu;
  registry::MemberView seen;
  bool up = false;
  auto watcher = registry::MembershipWatcher::Start(
      *url,
      [&](const registry::MemberView& view, bool is_up) {
        absl::MutexLock lock(&mu);
        seen = view;
        up = is_up;
      },
      std::chrono::milliseconds(100));
  ASSERT_TRUE(watcher.ok());
  auto wait_for = [&](bool want_up, size_t members) {
    const Clock::time_point since = Clock::now();
    while (Clock::now() - since < 10s) {
      {
        absl::MutexLock lock(&mu);
        if (up == want_up && seen.size() == members) return true;
      }
      std::this_thread::sleep_for(20ms);
    }
    return false;
  };
  ASSERT_TRUE(wait_for(true, 1));
  {
    absl::MutexLock lock(&mu);
    EXPECT_EQ(seen.begin()->second, record);
  }

  etcd_->Signal(SIGKILL);
  etcd_->Wait(5s);
  ASSERT_TRUE(wait_for(false, 1)) << "the last view stays while the registry is away";
  StartEtcd("etcd-again");
  const Clock::time_point restarted = Clock::now();
  ASSERT_TRUE(wait_for(true, 1)) << "the node registered again and the watcher saw it";
  std::printf("[figure] registry back empty to the node registered and watched again: %.2f s\n",
              Seconds(Clock::now() - restarted));
  EXPECT_EQ((*node)->leases_granted(), 2);

  (*node)->Stop();
  ASSERT_TRUE(wait_for(true, 0)) << "a revoked lease takes the key with it";
  (*watcher)->Stop();
}

}  // namespace
}  // namespace tokenfab::gateway_it
