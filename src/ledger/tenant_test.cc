#include "tokenfab/ledger/tenant.h"

#include <gtest/gtest.h>

#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::ledger {
namespace {

TEST(TenantTest, EffectiveLimitsOverrideTierDefaults) {
  Tier tier;
  tier.limits.rpm = 60;
  tier.limits.tpm = 1000;
  tier.limits.max_concurrency = 4;
  Tenant tenant;
  tenant.limits.tpm = 5000;
  tenant.limits.token_budget = 100;
  const Limits limits = EffectiveLimits(tier, tenant);
  EXPECT_EQ(limits.rpm, 60);
  EXPECT_EQ(limits.tpm, 5000);
  EXPECT_EQ(limits.max_concurrency, 4);
  EXPECT_EQ(limits.token_budget, 100);
  EXPECT_EQ(limits.budget_period, BudgetPeriod::kMonth);
}

TEST(TenantTest, RegionResidency) {
  Tenant open;
  EXPECT_TRUE(open.AllowsRegion("anywhere"));
  Tenant eu;
  eu.allowed_regions = {"eu-west", "eu-central"};
  EXPECT_TRUE(eu.AllowsRegion("eu-central"));
  EXPECT_FALSE(eu.AllowsRegion("us-east"));
}

TEST(TenantTest, BudgetPeriodBoundsAreUtcCalendarPeriods) {
  const int64_t t = *ParseUtcDate("2024-02-29") + 13 * 3'600'000'000LL;  // 13:00 on a leap day
  const PeriodBounds day = BudgetPeriodBounds(BudgetPeriod::kDay, t);
  EXPECT_EQ(day.start_micros, *ParseUtcDate("2024-02-29"));
  EXPECT_EQ(day.end_micros, *ParseUtcDate("2024-03-01"));
  const PeriodBounds month = BudgetPeriodBounds(BudgetPeriod::kMonth, t);
  EXPECT_EQ(month.start_micros, *ParseUtcDate("2024-02-01"));
  EXPECT_EQ(month.end_micros, *ParseUtcDate("2024-03-01"));
}

TEST(TenantTest, NamesAreValidated) {
  EXPECT_TRUE(ValidateName("tenant", "acme-corp_1").ok());
  EXPECT_FALSE(ValidateName("tenant", "").ok());
  EXPECT_FALSE(ValidateName("tenant", "a,b").ok());
  EXPECT_FALSE(ValidateName("tenant", std::string(65, 'a')).ok());
  EXPECT_FALSE(ValidateName("tenant", "spaces here").ok());
}

TEST(TenantTest, ParsesPeriodsAndDays) {
  EXPECT_EQ(*ParseBudgetPeriod("day"), BudgetPeriod::kDay);
  EXPECT_FALSE(ParseBudgetPeriod("week").ok());
  EXPECT_EQ(FormatUtcDay(0), "1970-01-01");
  EXPECT_EQ(FormatUtcDay(19'782), "2024-02-29");
  EXPECT_EQ(*ParseUtcDate("2024-02-29"), 19'782 * kMicrosPerDay);
  EXPECT_FALSE(ParseUtcDate("2024-13-01").ok());
  EXPECT_FALSE(ParseUtcDate("yesterday").ok());
}

}  // namespace
}  // namespace tokenfab::ledger
