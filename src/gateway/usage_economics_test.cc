#include "tokenfab/gateway/usage_economics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tokenfab/gateway/usage_chart.h"
#include "tokenfab/gateway/usage_economics_report.h"

namespace tokenfab::gateway {
namespace {

using ledger::UsageDimension;
using ledger::UsageRow;
using ::testing::HasSubstr;
using ::testing::Not;

// Two sites: "hub" at UTC+8 with 0.30 CNY/kWh at night (local 0-7) and 0.60 by day, 55 % green;
// "edge" at UTC, flat 1.00 CNY/kWh, 10 % green.
std::vector<fleet::Site> Sites() {
  std::array<double, fleet::kHoursPerDay> hub{};
  for (int h = 0; h < fleet::kHoursPerDay; ++h) hub[h] = h < 8 ? 0.30 : 0.60;
  fleet::Site a;
  a.name = "hub";
  a.utc_offset_minutes = 8 * 60;
  a.energy.prices = fleet::PriceSchedule(hub);
  a.energy.green_share = 0.55;
  fleet::Site b;
  b.name = "edge";
  b.energy.prices = fleet::PriceSchedule::Flat(1.00);
  b.energy.green_share = 0.10;
  return {a, b};
}

UsageRow Fine(std::string tenant, std::string site, std::string hour, double energy_wh,
              ledger::Micros cost, std::string currency = "CNY") {
  return {.keys = {std::move(tenant), std::move(site), std::move(hour)},
          .currency = std::move(currency),
          .requests = 1,
          .prompt_tokens = 100,
          .cached_tokens = 0,
          .completion_tokens = 10,
          .cost = cost,
          .energy_wh = energy_wh,
          .carbon_g = energy_wh / 4,
          .energy_wh_unpriced = energy_wh};  // recorded without an energy cost
}

// A row whose events stored their energy cost when they were recorded, `unpriced_wh` of the
// energy excepted.
UsageRow Stored(std::string tenant, std::string site, std::string hour, double energy_wh,
                double energy_cost, double unpriced_wh, ledger::Micros cost) {
  UsageRow row = Fine(std::move(tenant), std::move(site), std::move(hour), energy_wh, cost);
  row.energy_cost = energy_cost;
  row.energy_wh_unpriced = unpriced_wh;
  return row;
}

TEST(UsageEconomicsTest, PricesEachSiteHourAndRollsUp) {
  // 2024-03-01T20 UTC is 04:00 at the hub (night price 0.30); T02 UTC is 10:00 there (0.60).
  const std::vector<UsageRow> fine = {
      Fine("acme", "hub", "2024-03-01T20", 2000, 5'000'000),  // 2 kWh * 0.30 = 0.60
      Fine("acme", "hub", "2024-03-02T02", 1000, 1'000'000),  // 1 kWh * 0.60 = 0.60
      Fine("acme", "edge", "2024-03-02T02", 500, 2'000'000),  // 0.5 kWh * 1.00 = 0.50
      Fine("beta", "gone", "2024-03-02T02", 300, 100'000),    // unknown site: no price
  };
  const UsageEconomics e = ComputeUsageEconomics({UsageDimension::kTenant}, fine, Sites(), "CNY");
  ASSERT_EQ(e.rows.size(), 2u);
  const UsageEconomicsRow& acme = e.rows[0];
  EXPECT_EQ(acme.usage.keys, std::vector<std::string>{"acme"});
  EXPECT_EQ(acme.usage.requests, 3);
  EXPECT_DOUBLE_EQ(acme.usage.energy_wh, 3500);
  EXPECT_NEAR(acme.energy_cost, 1.70, 1e-12);
  EXPECT_DOUBLE_EQ(acme.charged(), 8.0);
  EXPECT_TRUE(acme.same_currency);
  EXPECT_NEAR(acme.margin(), 6.30, 1e-12);
  // (3000 * 0.55 + 500 * 0.10) / 3500
  EXPECT_NEAR(acme.green_share(), 1700.0 / 3500.0, 1e-12);
  const UsageEconomicsRow& beta = e.rows[1];
  EXPECT_EQ(beta.energy_cost, 0);
  EXPECT_EQ(beta.unpriced_wh, 300);
  EXPECT_EQ(beta.green_share(), 0);
}

TEST(UsageEconomicsTest, StoredEnergyCostsAreTheSourceAndOlderEventsArePricedHere) {
  // 2024-03-01T20 UTC is 04:00 at the hub, where the fleet file now says 0.30 CNY/kWh; the events
  // were recorded at 0.45 CNY/kWh (2 kWh: 0.90), and that stored figure is what they cost.
  // 2024-03-02T02 UTC is 10:00 there (0.60): 1 kWh stored at 0.50, plus 0.5 kWh of older events
  // without a stored cost, priced at 0.60 = 0.30.
  const std::vector<UsageRow> fine = {
      Stored("acme", "hub", "2024-03-01T20", 2000, 0.90, 0, 4'000'000),
      Stored("acme", "hub", "2024-03-02T02", 1500, 0.50, 500, 1'000'000),
      Stored("beta", "gone", "2024-03-02T02", 300, 0.20, 0, 700'000),  // a site since removed
  };
  const UsageEconomics e = ComputeUsageEconomics({UsageDimension::kTenant}, fine, Sites(), "CNY");
  ASSERT_EQ(e.rows.size(), 2u);
  const UsageEconomicsRow& acme = e.rows[0];
  EXPECT_NEAR(acme.energy_cost, 0.90 + 0.50 + 0.30, 1e-12);
  EXPECT_NEAR(acme.margin(), 5.0 - 1.70, 1e-12);
  EXPECT_EQ(acme.unpriced_wh, 0);
  const UsageEconomicsRow& beta = e.rows[1];
  EXPECT_NEAR(beta.energy_cost, 0.20, 1e-12);  // stored: the site need not be listed any more
  EXPECT_NEAR(beta.margin(), 0.50, 1e-12);
  EXPECT_EQ(beta.unpriced_wh, 0);
  boost::json::value json = boost::json::parse(FormatUsageEconomicsJson(e));
  EXPECT_NEAR(json.at("rows").at(0).at("margin").as_double(), 3.30, 1e-12);
}

TEST(UsageEconomicsTest, NoMarginAcrossCurrencies) {
  const std::vector<UsageRow> fine = {
      Fine("acme", "edge", "2024-03-02T02", 1000, 3'000'000, "USD")};
  const UsageEconomics e = ComputeUsageEconomics({UsageDimension::kTenant}, fine, Sites(), "CNY");
  ASSERT_EQ(e.rows.size(), 1u);
  EXPECT_FALSE(e.rows[0].same_currency);
  const std::string csv = FormatUsageEconomicsCsv(e);
  EXPECT_THAT(csv, HasSubstr("acme,USD,1,100,0,10,110,3.000000,1000,1,,0.1000,250\r\n"));
  boost::json::value json = boost::json::parse(FormatUsageEconomicsJson(e));
  EXPECT_TRUE(json.at("rows").at(0).at("margin").is_null());
}

TEST(UsageEconomicsReportTest, SmallEnergiesStayReadable) {
  EXPECT_EQ(FormatEnergy(0), "0 Wh");
  EXPECT_EQ(FormatEnergy(0.00017), "170.000 µWh");
  EXPECT_EQ(FormatEnergy(0.0425), "42.500 mWh");
  EXPECT_EQ(FormatEnergy(2.5e-7), "0.250 µWh");
  EXPECT_EQ(FormatEnergy(12.5), "12.500 Wh");
  EXPECT_EQ(FormatEnergy(3250), "3.250 kWh");
  const UsageEconomics e = ComputeUsageEconomics({},
                                                 {{.keys = {"edge", "2024-03-02T02"},
                                                   .currency = "CNY",
                                                   .requests = 2,
                                                   .prompt_tokens = 7,
                                                   .cached_tokens = 0,
                                                   .completion_tokens = 3,
                                                   .cost = 30,
                                                   .energy_wh = 0.00017,
                                                   .carbon_g = 4.25e-5,
                                                   .energy_wh_unpriced = 0.00017}},
                                                 Sites(), "CNY");
  const std::string table = FormatUsageEconomicsTable(e);
  EXPECT_THAT(table, HasSubstr("170.000 µWh"));
  EXPECT_THAT(table, HasSubstr("energy_cost_CNY"));
  EXPECT_THAT(table, HasSubstr("4.25e-05 g"));
  const std::string csv = FormatUsageEconomicsCsv(e);
  // Full precision in CSV: 0.00017 Wh at 1.00 CNY/kWh.
  EXPECT_THAT(csv, HasSubstr(",0.00017,1.7e-07,0.000030,0.1000,4.25e-05\r\n"));
}

TEST(UsageChartTest, SelfContainedWithTheData) {
  const std::vector<UsageRow> fine = {Fine("acme", "edge", "2024-03-02T02", 1000, 3'000'000)};
  const UsageEconomics grouped =
      ComputeUsageEconomics({UsageDimension::kTenant}, fine, Sites(), "CNY");
  const std::vector<UsageRow> by_hour = {{.keys = {"2024-03-02T02", "edge", "2024-03-02T02"},
                                          .currency = "CNY",
                                          .requests = 1,
                                          .energy_wh = 1000,
                                          .energy_wh_unpriced = 1000}};
  const UsageEconomics hourly =
      ComputeUsageEconomics({UsageDimension::kHour}, by_hour, Sites(), "CNY");
  const std::string html = UsageChartHtml(grouped, hourly, "usage </script> report");
  EXPECT_THAT(html, HasSubstr("uPlot"));  // the library is inlined
  EXPECT_THAT(html, HasSubstr("\"hour\":\"2024-03-02T02\""));
  EXPECT_THAT(html, HasSubstr("\"tenant\":\"acme\""));
  EXPECT_THAT(html, Not(HasSubstr("src=\"http")));              // nothing fetched from elsewhere
  EXPECT_THAT(html, Not(HasSubstr("usage </script> report")));  // the title is escaped
}

}  // namespace
}  // namespace tokenfab::gateway
