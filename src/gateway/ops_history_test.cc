#include "ops_history.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

ledger::Tier Tier(std::string name, int64_t ttft_slo_ms) {
  return {.name = std::move(name),
          .ttft_slo_ms = ttft_slo_ms,
          .tpot_slo_ms = 50,
          .priority = 0,
          .limits = {},
          .max_tokens = std::nullopt};
}

ledger::UsageEvent Event(std::string tenant, int64_t tokens, int64_t ttft_ms,
                         std::string status = "ok") {
  ledger::UsageEvent e;
  e.tenant = std::move(tenant);
  e.site = "hub";
  e.prompt_tokens = tokens;
  e.ttft_micros = ttft_ms * 1000;
  e.tpot_micros = 20'000;
  e.cost = tokens * 10;
  e.currency = "CNY";
  e.energy_wh = 2.0;
  e.carbon_g = 0.5;
  e.status = std::move(status);
  e.http_status = e.status == "ok" ? 200 : 502;
  return e;
}

TEST(OpsHistoryTest, SampleTurnsAWindowIntoRatesAndPercentiles) {
  OpsHistory history(10, 2'000'000);
  history.Sample(1'000'000, {});  // the start
  for (int ms : {100, 200, 300, 400, 1000}) {
    history.OnEvent(Event("acme", 50, ms), Tier("premium", 250), 0.5);
  }
  history.OnEvent(Event("beta", 40, 30), Tier("standard", 1000), 0.5);
  history.OnRefusal(
      2'000'000, 429,
      R"({"error":{"message":"slow down","type":"rate_limit","code":"rpm_exceeded"}})", "beta",
      "m");
  history.Sample(3'000'000, {{.name = "u0", .utilisation = 0.5, .power_w = 40}});
  const OpsHistory::View v = history.Read();
  ASSERT_EQ(v.samples.size(), 2u);
  const OpsSample& s = v.samples[1];
  EXPECT_DOUBLE_EQ(s.tokens_per_s, 290 / 2.0);
  EXPECT_DOUBLE_EQ(s.requests_per_s, 7 / 2.0);
  EXPECT_DOUBLE_EQ(s.refused_per_s, 0.5);
  EXPECT_DOUBLE_EQ(s.errors_per_s, 0);
  ASSERT_TRUE(s.tiers.at("premium").ttft_p50_ms.has_value());
  EXPECT_DOUBLE_EQ(*s.tiers.at("premium").ttft_p50_ms, 300);
  EXPECT_DOUBLE_EQ(*s.tiers.at("premium").ttft_p95_ms, 1000);
  EXPECT_DOUBLE_EQ(*s.tiers.at("standard").ttft_p50_ms, 30);
  EXPECT_EQ(v.tiers.at("premium").ttft_slo_ms, 250);
  EXPECT_EQ(v.tenants.at("acme").tokens, 250);
  EXPECT_EQ(v.tenants.at("acme").spend, 2500);
  EXPECT_DOUBLE_EQ(v.sites.at("hub").energy_wh, 12.0);
  EXPECT_DOUBLE_EQ(v.sites.at("hub").energy_cost, 12.0 / 1000 * 0.5);
  ASSERT_EQ(v.errors.size(), 1u);
  EXPECT_EQ(v.errors[0].kind, "rpm_exceeded");
  EXPECT_EQ(v.errors[0].message, "slow down");
  EXPECT_EQ(v.errors_by_kind.at("rpm_exceeded"), 1);
  EXPECT_EQ(s.upstreams.at(0).name, "u0");

  // The next window starts empty: no latency, no traffic.
  history.Sample(5'000'000, {});
  const OpsSample quiet = history.Read().samples.back();
  EXPECT_EQ(quiet.tokens_per_s, 0);
  EXPECT_FALSE(quiet.tiers.at("premium").ttft_p50_ms.has_value());
}

TEST(OpsHistoryTest, KeepsOnlyCapacitySamplesAndCountsErrors) {
  OpsHistory history(3, 1'000'000);
  for (int i = 1; i <= 5; ++i) history.Sample(i * 1'000'000, {});
  const OpsHistory::View v = history.Read();
  ASSERT_EQ(v.samples.size(), 3u);
  EXPECT_EQ(v.samples.front().wall_micros, 3'000'000);

  history.OnEvent(Event("acme", 5, 10, "error"), Tier("standard", 1000), 0);
  history.OnRefusal(0, 503, "not json", "", "");
  history.Sample(7'000'000, {});
  const OpsHistory::View w = history.Read();
  EXPECT_DOUBLE_EQ(w.samples.back().errors_per_s, 1.0);  // two errors over two seconds
  EXPECT_EQ(w.errors_by_kind.at("upstream_error"), 1);
  EXPECT_EQ(w.errors_by_kind.at("http_503"), 1);
  EXPECT_EQ(w.errors[0].kind, "http_503");  // newest first
}

}  // namespace
}  // namespace tokenfab::gateway
