// Site energy: what a kWh costs at a site hour by hour, how much facility overhead (PUE) sits on
// top of the IT load, and how green the supply is. Plus the arithmetic that turns power and
// throughput into energy, money and carbon per token.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace tokenfab::fleet {

inline constexpr int kHoursPerDay = 24;

// An electricity price for each hour of the site's local day (currency per kWh). Value type;
// thread-compatible.
class PriceSchedule {
 public:
  PriceSchedule() = default;  // zero every hour
  explicit PriceSchedule(const std::array<double, kHoursPerDay>& hourly) : hourly_(hourly) {}
  static PriceSchedule Flat(double price);

  // REQUIRES: 0 <= hour < 24.
  double AtHour(int hour) const;
  double Mean() const;
  double Min() const;
  double Max() const;
  const std::array<double, kHoursPerDay>& hourly() const { return hourly_; }

  bool operator==(const PriceSchedule&) const = default;

 private:
  std::array<double, kHoursPerDay> hourly_{};
};

// The energy terms of one site. Plain data.
struct SiteEnergy {
  std::string currency;         // ISO 4217 code `prices` are in, e.g. "CNY"
  double exchange_rate = 1.0;   // fleet currency per unit of `currency`
  PriceSchedule prices;         // `currency` per kWh, by local hour of day
  double pue = 1.0;             // facility kWh per IT kWh, >= 1
  double green_share = 0.0;     // share of the supply from renewables, [0, 1]
  double carbon_g_per_kwh = 0;  // grid carbon intensity, g CO2 per kWh drawn

  bool operator==(const SiteEnergy&) const = default;
};

// Hour of the local day, [0, 24), at `wall_micros` (µs since the Unix epoch) in a time zone
// `utc_offset_minutes` east of UTC.
int LocalHourOfDay(int64_t wall_micros, int32_t utc_offset_minutes);

// Price of one facility kWh at the site at `wall_micros`, in the fleet currency.
double PriceAt(const SiteEnergy& energy, int32_t utc_offset_minutes, int64_t wall_micros);

// IT energy per token (Wh) of a machine drawing `power_w` watts while producing `tokens_per_s`.
// Returns 0 when the throughput is not positive (unknown).
double EnergyPerTokenWh(double power_w, double tokens_per_s);

// Facility energy (Wh) for `it_energy_wh` of IT energy: IT energy times PUE.
double FacilityEnergyWh(const SiteEnergy& energy, double it_energy_wh);

// Grams of CO2 emitted for `facility_energy_wh` drawn at the site.
double CarbonGrams(const SiteEnergy& energy, double facility_energy_wh);

}  // namespace tokenfab::fleet
