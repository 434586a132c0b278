#include "tokenfab/fleet/energy.h"

#include <algorithm>
#include <numeric>

#include "tokenfab/base/check.h"

namespace tokenfab::fleet {

PriceSchedule PriceSchedule::Flat(double price) {
  std::array<double, kHoursPerDay> hourly{};
  hourly.fill(price);
  return PriceSchedule(hourly);
}

double PriceSchedule::AtHour(int hour) const {
  TF_CHECK(hour >= 0 && hour < kHoursPerDay) << "hour " << hour;
  return hourly_[hour];
}

double PriceSchedule::Mean() const {
  return std::accumulate(hourly_.begin(), hourly_.end(), 0.0) / kHoursPerDay;
}

double PriceSchedule::Min() const { return *std::min_element(hourly_.begin(), hourly_.end()); }

double PriceSchedule::Max() const { return *std::max_element(hourly_.begin(), hourly_.end()); }

int LocalHourOfDay(int64_t wall_micros, int32_t utc_offset_minutes) {
  constexpr int64_t kMicrosPerHour = 3'600'000'000;
  constexpr int64_t kMicrosPerDay = kMicrosPerHour * kHoursPerDay;
  const int64_t local = wall_micros + int64_t{utc_offset_minutes} * 60'000'000;
  // Floor modulo, so that times before the epoch (or west of it) still land in [0, 24).
  int64_t of_day = local % kMicrosPerDay;
  if (of_day < 0) of_day += kMicrosPerDay;
  return static_cast<int>(of_day / kMicrosPerHour);
}

double PriceAt(const SiteEnergy& energy, int32_t utc_offset_minutes, int64_t wall_micros) {
  return energy.prices.AtHour(LocalHourOfDay(wall_micros, utc_offset_minutes)) *
         energy.exchange_rate;
}

double EnergyPerTokenWh(double power_w, double tokens_per_s) {
  if (!(tokens_per_s > 0)) return 0;
  return power_w / tokens_per_s / 3600.0;
}

double FacilityEnergyWh(const SiteEnergy& energy, double it_energy_wh) {
  return it_energy_wh * energy.pue;
}

double CarbonGrams(const SiteEnergy& energy, double facility_energy_wh) {
  return facility_energy_wh / 1000.0 * energy.carbon_g_per_kwh;
}

}  // namespace tokenfab::fleet
