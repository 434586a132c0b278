// GET /dashboard and /dashboard/data of a real gateway in front of fake upstreams, with traffic.
#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

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
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;
using testing::ChatBody;
using testing::FakeUpstream;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TestClient;
using testing::TestFleetToml;

TEST(DashboardRoutesTest, PageIsSelfContainedAndDataFollowsTraffic) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / fmt::format("dashboard-{}", getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto store = ledger::OpenSqliteStore((dir / "ledger.sqlite").string());
  ASSERT_TRUE(store.ok()) << store.status();
  ledger::Tenant acme;
  acme.name = "acme";
  acme.tier = "premium";
  ASSERT_TRUE((*store)->CreateTenant(acme).ok());
  auto key = ledger::Authenticator(**store, base::RealClock::Get()).CreateKey("acme");
  ASSERT_TRUE(key.ok());
  ledger::PriceEntry price;
  price.model = "m";
  price.region = "*";
  price.input_per_million = 1'000'000;
  price.output_per_million = 2'000'000;
  price.currency = "CNY";
  ASSERT_TRUE((*store)->AddPrice(price).ok());
  auto up = FakeUpstream::Start({.tokens = 5, .name = "u0x"});
  ASSERT_TRUE(up.ok());
  auto config = fleet::ParseFleetConfig(TestFleetToml({{.url = (*up)->url()}}), "test.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ledger::LocalCounters counters;
  GatewayOptions options;
  options.port = 0;
  options.io_threads = 1;
  options.poll_interval = 20ms;
  options.ops_sample_interval = 20ms;
  auto gw = Gateway::Start(options, std::make_shared<const fleet::FleetConfig>(*config), **store,
                           counters, base::RealClock::Get());
  ASSERT_TRUE(gw.ok()) << gw.status();
  TestClient client;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client
                  .Post((*gw)->port(), "/v1/chat/completions", ChatBody("m", "a b c", false),
                        {.api_key = key->plaintext})
                  .status,
              200);
  }
  ASSERT_EQ(client
                .Post((*gw)->port(), "/v1/chat/completions", ChatBody("m", "x", false),
                      {.api_key = "tf-wrong"})
                .status,
            401);

  // Until a sample holds the traffic (samples come every 20 ms).
  json::object data;
  double tokens_seen = 0;
  for (int i = 0; i < 500 && tokens_seen == 0; ++i) {
    const testing::ClientResult r = client.Get((*gw)->port(), "/dashboard/data");
    ASSERT_EQ(r.status, 200);
    data = json::parse(r.body).as_object();
    for (const json::value& v : data.at("series").at("tokens_per_s").as_array()) {
      tokens_seen += v.to_number<double>();
    }
    if (tokens_seen == 0) std::this_thread::sleep_for(10ms);
  }
  ASSERT_GT(tokens_seen, 0) << json::serialize(data);
  // Two quiet samples later, the traffic's sample is still in the series, and the upstream is in
  // every sample.
  const size_t samples = data.at("series").at("t").as_array().size();
  for (int i = 0; i < 500 && data.at("series").at("t").as_array().size() < samples + 2; ++i) {
    std::this_thread::sleep_for(10ms);
    data = json::parse(client.Get((*gw)->port(), "/dashboard/data").body).as_object();
  }
  const json::array& utilisation =
      data.at("series").at("upstreams").at("u0").at("utilisation").as_array();
  ASSERT_GE(utilisation.size(), samples + 2);
  for (const json::value& v : utilisation) EXPECT_TRUE(v.is_number()) << json::serialize(data);
  int ttft_points = 0;
  for (const json::value& v :
       data.at("series").at("tiers").at("premium").at("ttft_p50_ms").as_array()) {
    if (!v.is_null()) {
      EXPECT_GT(v.to_number<double>(), 0);
      ++ttft_points;
    }
  }
  EXPECT_GE(ttft_points, 1) << json::serialize(data);
  EXPECT_EQ(data.at("gateway"), "gw-test");
  EXPECT_EQ(data.at("currency"), "CNY");
  const json::object& site = data.at("sites").at(0).as_object();
  EXPECT_EQ(site.at("name"), "s0");
  EXPECT_DOUBLE_EQ(site.at("price_kwh").to_number<double>(), 0.1);
  EXPECT_EQ(site.at("tokens").to_number<int64_t>(), 3 * (3 + 5));
  EXPECT_GT(site.at("gco2_per_mtok").to_number<double>(), 0);
  EXPECT_EQ(data.at("upstreams").at(0).at("name"), "u0");
  EXPECT_EQ(data.at("tiers").at(0).at("name"), "premium");
  EXPECT_TRUE(data.at("series").at("tiers").as_object().contains("premium"));
  EXPECT_TRUE(data.at("series").at("upstreams").as_object().contains("u0"));
  const json::object& top = data.at("tenants_by_spend").at(0).as_object();
  EXPECT_EQ(top.at("tenant"), "acme");
  // 3 requests of 3 prompt tokens at 1 and 5 completion tokens at 2 per million CNY.
  EXPECT_DOUBLE_EQ(top.at("spend").to_number<double>(), 3 * 13e-6);
  EXPECT_EQ(data.at("errors_by_kind").at("invalid_api_key").to_number<int64_t>(), 1);

  const testing::ClientResult page = client.Get((*gw)->port(), "/dashboard");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_THAT(page.body, HasSubstr("uPlot"));
  EXPECT_THAT(page.body, HasSubstr("fetch('dashboard/data'"));
  EXPECT_THAT(page.body, Not(HasSubstr("/*UPLOT_JS*/")));
  EXPECT_THAT(page.body, Not(HasSubstr("src=\"http")));
  (*gw)->Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tokenfab::gateway
