// Shared by the registry's integration tests (etcd and PostgreSQL): the gateways' ledgers, what
// a gateway routes to (its /fleet), and a fixture base that starts `tokenfab gateway` and
// synthetic `tokenfab node` processes against a registry URL.
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "child_process.h"
#include "gateway/testing/test_client.h"
#include "gateway_test_env.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::gateway_it {

using gateway::testing::ChatBody;
using gateway::testing::ClientResult;
using gateway::testing::TestClient;
using testing_process::ChildProcess;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kLeaseSeconds = 3;
constexpr char kHardware[] =
    "kind=gpu,model=H800,count=8,peak_tflops=989,mem_bandwidth_gbps=3350,power_idle_w=100,"
    "power_max_w=700";

// The ledger at `path`: tenant acme on the premium tier (its new key returned) and the prices
// of the models the test serves.
inline StatusOr<std::string> PrepareLedger(const std::filesystem::path& path) {
  TF_ASSIGN_OR_RETURN(std::unique_ptr<ledger::Store> store, ledger::OpenStore(path.string()));
  TF_ASSIGN_OR_RETURN(std::string key, AddTenant(*store, "acme", "premium"));
  // The nodes' model and the static upstream's are priced; "unpriced" is not (a node serving it
  // is left out of the fleet, not allowed to block it).
  for (const char* model : {"m", "other"}) {
    ledger::PriceEntry price;
    price.model = model;
    price.region = "*";
    price.input_per_million = 2'000'000;
    price.output_per_million = 8'000'000;
    price.currency = "CNY";
    TF_RETURN_IF_ERROR(store->AddPrice(price));
  }
  return key;
}

inline double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The registered upstreams a gateway routes to now (its /fleet, less the static one).
inline std::set<std::string> Members(TestClient& client, uint16_t port) {
  ClientResult r = client.Get(port, "/fleet");
  std::set<std::string> names;
  if (r.status != 200) return names;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return names;
  for (const boost::json::value& up : v.at("upstreams").as_array()) {
    std::string name(up.at("name").as_string());
    if (name != "static") names.insert(name);
  }
  return names;
}

// Waits until every gateway's members are `want`; the time it took, or -1 after `limit`.
inline double WaitForMembers(TestClient& client, const std::vector<uint16_t>& ports,
                             const std::set<std::string>& want, Clock::time_point since,
                             std::chrono::milliseconds limit) {
  while (Clock::now() - since < limit) {
    bool all = true;
    for (uint16_t port : ports) all = all && Members(client, port) == want;
    if (all) return Seconds(Clock::now() - since);
    std::this_thread::sleep_for(20ms);
  }
  return -1;
}

inline std::string MetricLine(TestClient& client, uint16_t port, const std::string& name) {
  const std::string body = client.Get(port, "/metrics").body;
  const size_t at = body.find("\n" + name + " ");
  if (at == std::string::npos) return "";
  return body.substr(at + 1, body.find('\n', at + 1) - at - 1);
}

// Gateways and nodes against `registry_`, whatever the store (the fixtures below start one).
class RegistryTestBase : public ::testing::Test {
 protected:
  std::unique_ptr<ChildProcess> StartGateway(int index, const std::filesystem::path& fleet) {
    const std::filesystem::path data = dir_ / fmt::format("gw{}", index);
    std::filesystem::create_directories(data);
    auto key = PrepareLedger(data / "ledger.sqlite");
    EXPECT_TRUE(key.ok()) << key.status();
    keys_.push_back(*key);
    auto gw = ChildProcess::Start(
        {TOKENFAB_BINARY, "gateway", "--fleet", fleet.string(), "--listen", "127.0.0.1:0",
         "--data-dir", data.string(), "--io-threads", "1", "--poll-interval-ms", "100",
         "--no-slo-admission", "--policy", "least-load", "--registry", registry_},
        (data / "gateway.log").string(), true);
    EXPECT_TRUE(gw.ok()) << gw.status();
    return gw.ok() ? *std::move(gw) : nullptr;
  }

  std::unique_ptr<ChildProcess> StartNode(const std::string& name, const std::string& model = "m") {
    auto node = ChildProcess::Start({TOKENFAB_BINARY,
                                     "node",
                                     "--port",
                                     "0",
                                     "--engine",
                                     "synthetic",
                                     "--vocab",
                                     "llama3",
                                     "--served-model-name",
                                     model,
                                     "--synthetic-ttft-ms",
                                     "20",
                                     "--synthetic-tpot-ms",
                                     "10",
                                     "--synthetic-stop-probability",
                                     "0",
                                     "--registry",
                                     registry_,
                                     "--site",
                                     "s0",
                                     "--name",
                                     name,
                                     "--hardware",
                                     kHardware,
                                     "--lease-seconds",
                                     std::to_string(kLeaseSeconds),
                                     "--withdraw-ms",
                                     "300"},
                                    (dir_ / (name + ".log")).string(), true);
    EXPECT_TRUE(node.ok()) << node.status();
    return node.ok() ? *std::move(node) : nullptr;
  }

  std::filesystem::path dir_;
  std::string registry_;
  std::vector<std::string> keys_;
};

}  // namespace tokenfab::gateway_it
