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
  EXPECT_DOUBLE_EQ(schedule.Mean(), (8 * 0.2 + 16 * 0.5) / 24);
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
  // 700 W at 1000 tokens/s: 0.7 J = 700/1000/3600 Wh per token.
  EXPECT_DOUBLE_EQ(EnergyPerTokenWh(700, 1000), 700.0 / 1000 / 3600);
  EXPECT_EQ(EnergyPerTokenWh(700, 0), 0);
  SiteEnergy energy;
  energy.pue = 1.2;
  energy.carbon_g_per_kwh = 500;
  EXPECT_DOUBLE_EQ(FacilityEnergyWh(energy, 100), 120);
  EXPECT_DOUBLE_EQ(CarbonGrams(energy, 2000), 1000);  // 2 kWh at 500 g/kWh
}

}  // namespace
}  // namespace tokenfab::fleet
