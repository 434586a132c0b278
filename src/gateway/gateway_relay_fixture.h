// The fixture of the gateway's in-process end-to-end tests: real HTTP servers as upstreams
// (FakeUpstream), a real SQLite ledger with one tenant, key and price, the real gateway between
// them, and a real HTTP client.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "testing/fake_upstream.h"
#include "testing/test_client.h"
#include "testing/test_fleet.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/gateway/gateway.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/rate_counters.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::gateway {

// Waits (polling) until `ready` holds, at most `limit`.
inline bool WaitFor(const std::function<bool()>& ready,
                    std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return ready();
}

class GatewayRelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           fmt::format("gateway-relay-{}-{}", getpid(), counter_++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = ledger::OpenSqliteStore((dir_ / "ledger.sqlite").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    ledger::Tenant acme;
    acme.name = "acme";
    acme.tier = "standard";
    ASSERT_TRUE(store_->CreateTenant(acme).ok());
    ledger::Authenticator auth(*store_, base::RealClock::Get());
    auto key = auth.CreateKey("acme");
    ASSERT_TRUE(key.ok());
    key_ = key->plaintext;
    ledger::PriceEntry price{.model = "m",
                             .region = "*",
                             .input_per_million = 1'000'000,
                             .cached_input_per_million = 500'000,
                             .output_per_million = 2'000'000,
                             .currency = "CNY"};
    ASSERT_TRUE(store_->AddPrice(price).ok());
  }
  void TearDown() override {
    if (gateway_) gateway_->Stop();
    gateway_.reset();
    upstreams_.clear();
    std::filesystem::remove_all(dir_);
  }

  testing::FakeUpstream& AddUpstream(testing::FakeUpstreamOptions options = {}) {
    options.name = fmt::format("u{}x", upstreams_.size());
    auto up = testing::FakeUpstream::Start(options);
    EXPECT_TRUE(up.ok()) << up.status();
    upstreams_.push_back(*std::move(up));
    return *upstreams_.back();
  }

  std::shared_ptr<const fleet::FleetConfig> Fleet(const std::string& extra = "") {
    std::vector<testing::TestUpstream> list;
    for (size_t i = 0; i < upstreams_.size(); ++i) {
      list.push_back({.url = upstreams_[i]->url(),
                      .fields = i < upstream_fields_.size() ? upstream_fields_[i] : ""});
    }
    auto config = fleet::ParseFleetConfig(testing::TestFleetToml(list, extra), "test.toml");
    EXPECT_TRUE(config.ok()) << config.status();
    return std::make_shared<const fleet::FleetConfig>(*std::move(config));
  }

  // Starts gateway_ on the upstreams added so far (`extra`: more TOML for the fleet file).
  void StartGateway(GatewayOptions options = {}, const std::string& extra = "") {
    StartGatewayOn(Fleet(extra), std::move(options));
  }

  // Starts gateway_ on `fleet_toml` (a fleet of the test's own making), on clock_, with an
  // ephemeral port and, where `options` leaves them at their defaults, 2 I/O threads, 20 ms
  // polls and the least-load policy.
  void StartGatewayOn(const std::string& fleet_toml, GatewayOptions options = {}) {
    auto config = fleet::ParseFleetConfig(fleet_toml, "test.toml");
    ASSERT_TRUE(config.ok()) << config.status();
    StartGatewayOn(std::make_shared<const fleet::FleetConfig>(*std::move(config)),
                   std::move(options));
  }

  void StartGatewayOn(std::shared_ptr<const fleet::FleetConfig> fleet, GatewayOptions options) {
    options.port = 0;
    if (options.io_threads == 0) options.io_threads = 2;
    if (options.poll_interval == GatewayOptions{}.poll_interval)
      options.poll_interval = std::chrono::milliseconds(20);
    if (options.policy == routing::kDefaultPolicySpec) options.policy = "least-load";
    auto gw = Gateway::Start(options, std::move(fleet), *store_, *counters_in_use_, *clock_);
    ASSERT_TRUE(gw.ok()) << gw.status();
    gateway_ = *std::move(gw);
  }

  testing::ClientResult Chat(std::string_view content, bool stream, bool include_usage = false,
                             testing::PostOptions options = {}) {
    if (options.api_key.empty()) options.api_key = key_;
    return client_.Post(gateway_->port(), "/v1/chat/completions",
                        testing::ChatBody("m", content, stream, include_usage), options);
  }

  ledger::UsageEvent Recorded(const testing::ClientResult& result) {
    const std::string id = result.header("x-request-id");
    EXPECT_FALSE(id.empty());
    StatusOr<ledger::UsageEvent> event = absl::NotFoundError("not yet");
    // The event is durable before the answer ends, except for answers the gateway gives without
    // waiting (errors): allow those a moment.
    WaitFor([&] {
      event = store_->GetUsage(id);
      return event.ok();
    });
    EXPECT_TRUE(event.ok()) << event.status();
    return event.ok() ? *event : ledger::UsageEvent{};
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  std::unique_ptr<ledger::Store> store_;
  ledger::LocalCounters counters_;
  ledger::RateCounters* counters_in_use_ = &counters_;  // what the gateway is started on
  std::string key_;
  std::vector<std::unique_ptr<testing::FakeUpstream>> upstreams_;
  std::vector<std::string> upstream_fields_;  // TOML lines added to upstream i's table
  std::unique_ptr<Gateway> gateway_;
  base::Clock* clock_ = &base::RealClock::Get();  // the gateway's clock (set before starting)
  testing::TestClient client_;
};

}  // namespace tokenfab::gateway
