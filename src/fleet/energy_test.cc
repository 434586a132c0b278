#include "tokenfab/fleet/energy.h"

#include <gtest/gtest.h>

namespace tokenfab::fleet {
namespace {

constexpr int64_t kHour = 3'600'000'000;  // µs
// 2023-11-14T22:13:20Z.
constexpr int64_t kWall = 1'700'000'000'000'000;

TEST(EnergyTest, LocalHourOfDayFollowsTheOffset) {
  EXPECT_EQ(LocalHourOfDay(0, 0), 0);
  EXPECT_EQ(LocalHourOfDay(kWall, 0), 22);
  EXPECT_EQ(LocalHourOfDay(kWall, 8 * 60), 6);       // Beijing: next morning
  EXPECT_EQ(LocalHourOfDay(kWall, -5 * 60), 17);     // New York
  EXPECT_EQ(LocalHourOfDay(kWall, 5 * 60 + 30), 3);  // India: 03:43
  EXPECT_EQ(LocalHourOfDay(-1, 0), 23);              // before the epoch
  EXPECT_EQ(LocalHourOfDay(kHour - 1, 0), 0);
  EXPECT_EQ(LocalHourOfDay(kHour, 0), 1);
}

TEST(EnergyTest, PriceScheduleStatistics) {
  std::array<double, kHoursPerDay> hourly;
  for (int h = 0; h < kHoursPerDay; ++h) hourly[h] = h < 8 ? 0.2 : 0.5;
  PriceSchedule schedule(hourly);
  // 8 h at 0.2 and 16 h at 0.5: (1.6 + 8.0) / 24 = 0.4.
  EXPECT_NEAR(schedule.Mean(), 0.4, 1e-12);
  EXPECT_EQ(schedule.Min(), 0.2);
  EXPECT_EQ(schedule.Max(), 0.5);
  EXPECT_EQ(schedule.AtHour(7), 0.2);
  EXPECT_EQ(schedule.AtHour(8), 0.5);
  EXPECT_DOUBLE_EQ(PriceSchedule::Flat(0.4).Mean(), 0.4);
}

TEST(EnergyTest, PriceAtUsesLocalHourAndExchangeRate) {
  std::array<double, kHoursPerDay> hourly;
  for (int h = 0; h < kHoursPerDay; ++h) hourly[h] = h;  // price = hour, to see which hour
  SiteEnergy energy;
  energy.currency = "USD";
  energy.exchange_rate = 7.0;
  energy.prices = PriceSchedule(hourly);
  EXPECT_DOUBLE_EQ(PriceAt(energy, 0, kWall), 22 * 7.0);
  EXPECT_DOUBLE_EQ(PriceAt(energy, 8 * 60, kWall), 6 * 7.0);
}

TEST(EnergyTest, EnergyCostAndCarbonArithmetic) {
  // 720 W at 1000 tokens/s: 0.72 J per token; a Wh is 3600 J, so 0.72 / 3600 = 0.0002 Wh.
  EXPECT_NEAR(EnergyPerTokenWh(720, 1000), 0.0002, 1e-15);
  // Conservation: an hour at 720 W is 720 Wh, whatever the rate; at 50 tokens/s that hour makes
  // 180,000 tokens, which must add up to the same 720 Wh.
  EXPECT_NEAR(EnergyPerTokenWh(720, 50) * 50 * 3600, 720, 1e-9);
  EXPECT_EQ(EnergyPerTokenWh(700, 0), 0);
  SiteEnergy energy;
  energy.pue = 1.2;
  energy.carbon_g_per_kwh = 500;
  EXPECT_DOUBLE_EQ(FacilityEnergyWh(energy, 100), 120);
  EXPECT_DOUBLE_EQ(CarbonGrams(energy, 2000), 1000);  // 2 kWh at 500 g/kWh
}

}  // namespace
}  // namespace tokenfab::fleet
