// Per-site utilisation in /metrics, end to end: the requests a site's upstreams run (as their
// /load reports) over the sum of their limits.
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

using testing::FakeUpstream;
using ::testing::HasSubstr;

TEST_F(GatewayRelayTest, MetricsExportEachSitesUtilisation) {
  FakeUpstream& a = AddUpstream();
  FakeUpstream& b = AddUpstream();
  FakeUpstream& c = AddUpstream();
  a.SetLoadJson(R"({"running":3,"waiting":0,"max_running":4})");
  b.SetLoadJson(R"({"running":1,"waiting":0,"max_running":12})");
  c.SetLoadJson(R"({"running":2,"waiting":0,"max_running":8})");
  std::vector<testing::TestUpstream> list;
  for (const auto& up : upstreams_) list.push_back({.url = up->url()});
  // u1 moves to site s0, beside u0: s0 has two upstreams, s1 none, s2 one.
  std::string toml = testing::TestFleetToml(list);
  const std::string u1_site = "name = \"u1\"\nurl = \"" + b.url() +
                              "\"\nkind = \"tokenfab-node\"\n"
                              "models = [\"m\"]\nsite = \"s1\"";
  const size_t at = toml.find(u1_site);
  ASSERT_NE(at, std::string::npos) << toml;
  toml.replace(at + u1_site.size() - 3, 2, "s0");
  auto config = fleet::ParseFleetConfig(toml, "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  GatewayOptions options;
  options.port = 0;
  options.io_threads = 2;
  options.poll_interval = std::chrono::milliseconds(20);
  auto gw = Gateway::Start(options, std::make_shared<const fleet::FleetConfig>(*std::move(config)),
                           *store_, counters_, *clock_);
  ASSERT_TRUE(gw.ok()) << gw.status();
  gateway_ = *std::move(gw);
  ASSERT_TRUE(WaitFor([&] {
    auto snapshot = gateway_->Snapshot();
    return snapshot->state(0).running == 3 && snapshot->state(1).running == 1 &&
           snapshot->state(2).running == 2;
  }));
  const std::string metrics = client_.Get(gateway_->port(), "/metrics").body;
  // s0: (3 + 1) / (4 + 12), not the mean of 3/4 and 1/12.
  EXPECT_THAT(metrics,
              HasSubstr("tokenfab_gateway_site_utilisation_ratio{site=\"s0\",region=\"r0\"} 0.25"));
  EXPECT_THAT(metrics,
              HasSubstr("tokenfab_gateway_site_utilisation_ratio{site=\"s1\",region=\"r1\"} 0\n"));
  EXPECT_THAT(metrics,
              HasSubstr("tokenfab_gateway_site_utilisation_ratio{site=\"s2\",region=\"r2\"} 0.25"));
}

}  // namespace
}  // namespace tokenfab::gateway
