#include "price_schedule_reader.h"

#include <array>

#include <fmt/format.h>

namespace tokenfab::fleet::internal {
namespace {

constexpr std::array<std::string_view, 3> kForms = {"price", "hourly_prices", "price_schedule"};

StatusOr<PriceSchedule> ReadHourly(TableReader& energy) {
  TF_ASSIGN_OR_RETURN(std::vector<double> values, energy.NumberArray("hourly_prices"));
  if (values.size() != kHoursPerDay) {
    return energy.Error("hourly_prices",
                        fmt::format("needs 24 values (local hours 0..23), got {}", values.size()));
  }
  std::array<double, kHoursPerDay> hourly{};
  std::copy(values.begin(), values.end(), hourly.begin());
  return PriceSchedule(hourly);
}

StatusOr<int> ReadHour(TableReader& entry, std::string_view key, int max) {
  TF_ASSIGN_OR_RETURN(int64_t hour, entry.Integer(key));
  if (hour < 0 || hour > max) {
    return entry.Error(key, fmt::format("must be an hour in [0, {}], got {}", max, hour));
  }
  return static_cast<int>(hour);
}

StatusOr<PriceSchedule> ReadRanges(TableReader& energy) {
  TF_ASSIGN_OR_RETURN(const toml::array* ranges, energy.OptionalArray("price_schedule"));
  std::array<double, kHoursPerDay> hourly{};
  std::array<int, kHoursPerDay> owner;
  owner.fill(-1);
  int index = 0;
  TF_RETURN_IF_ERROR(ForEachTable(
      ranges, energy.FieldPath("price_schedule"), energy.map(),
      [&](const toml::table& table, const std::string& path) -> Status {
        TableReader entry(table, path, energy.map());
        TF_ASSIGN_OR_RETURN(int from, ReadHour(entry, "from", kHoursPerDay - 1));
        TF_ASSIGN_OR_RETURN(int to, ReadHour(entry, "to", kHoursPerDay));
        TF_ASSIGN_OR_RETURN(double price, entry.Number("price"));
        TF_RETURN_IF_ERROR(entry.Finish());
        if (from == to) {
          return entry.Error("to", "an empty range (from == to); use 0..24 for the whole day");
        }
        // Hours [from, to), wrapping past midnight when to < from.
        const int span = from < to ? to - from : to + kHoursPerDay - from;
        for (int k = 0; k < span; ++k) {
          const int hour = (from + k) % kHoursPerDay;
          if (owner[hour] >= 0) {
            return entry.Error(
                "from", fmt::format("hour {} is already priced by entry {}", hour, owner[hour]));
          }
          owner[hour] = index;
          hourly[hour] = price;
        }
        ++index;
        return absl::OkStatus();
      }));
  for (int hour = 0; hour < kHoursPerDay; ++hour) {
    if (owner[hour] < 0) {
      return energy.Error("price_schedule", fmt::format("hour {} has no price", hour));
    }
  }
  return PriceSchedule(hourly);
}

}  // namespace

StatusOr<PriceSchedule> ReadPrices(TableReader& energy) {
  std::string_view form;
  for (std::string_view key : kForms) {
    if (!energy.Has(key)) continue;
    if (!form.empty()) {
      return energy.Error(key, fmt::format("give one of price, hourly_prices, price_schedule "
                                           "(\"{}\" is given too)",
                                           form));
    }
    form = key;
  }
  if (form.empty()) {
    return energy.Error("price", "missing: give price, hourly_prices or price_schedule");
  }
  energy.RecordAs(form, "prices");
  if (form == "price") {
    TF_ASSIGN_OR_RETURN(double price, energy.Number("price"));
    return PriceSchedule::Flat(price);
  }
  if (form == "hourly_prices") return ReadHourly(energy);
  return ReadRanges(energy);
}

}  // namespace tokenfab::fleet::internal
