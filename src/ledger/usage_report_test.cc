#include "tokenfab/ledger/usage_report.h"

#include <gtest/gtest.h>

namespace tokenfab::ledger {
namespace {

std::vector<UsageRow> Rows() {
  UsageRow a;
  a.keys = {"acme", "2024-03-10"};
  a.currency = "USD";
  a.requests = 3;
  a.prompt_tokens = 600;
  a.cached_tokens = 100;
  a.completion_tokens = 60;
  a.cost = 1'234'567;
  a.energy_wh = 1.5;
  a.carbon_g = 0.25;
  UsageRow b = a;
  b.keys = {"big, \"quoted\" co", "2024-03-11"};
  b.requests = 12;
  b.cost = 5;
  return {a, b};
}

TEST(UsageReportTest, Csv) {
  EXPECT_EQ(FormatUsageCsv({UsageDimension::kTenant, UsageDimension::kDay}, Rows()),
            "tenant,day,currency,requests,prompt_tokens,cached_tokens,completion_tokens,"
            "total_tokens,cost,energy_wh,carbon_g\r\n"
            "acme,2024-03-10,USD,3,600,100,60,660,1.234567,1.500,0.250\r\n"
            "\"big, \"\"quoted\"\" co\",2024-03-11,USD,12,600,100,60,660,0.000005,1.500,0.250\r\n");
}

TEST(UsageReportTest, TableAlignsColumns) {
  UsageRow row = Rows()[0];
  row.keys = {"acme"};
  const std::string table = FormatUsageTable({UsageDimension::kTenant}, {row});
  EXPECT_EQ(table,
            "tenant  currency  requests  prompt_tokens  cached_tokens  completion_tokens  "
            "total_tokens      cost  energy_wh  carbon_g\n"
            "acme    USD              3            600            100                 60  "
            "         660  1.234567      1.500     0.250\n");
  EXPECT_NE(FormatUsageTable({}, {}).find("(no usage)"), std::string::npos);
}

}  // namespace
}  // namespace tokenfab::ledger
