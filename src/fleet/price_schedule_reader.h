// Reading a site's electricity prices from its energy table, in one of three forms:
//   price = 0.398                                   # flat
//   hourly_prices = [0.25, 0.25, ..., 0.30]          # 24 values, local hours 0..23
//   price_schedule = [ { from = 23, to = 7, price = 0.25 }, ... ]  # hours [from, to), may wrap
// A schedule must price every hour exactly once. Internal to the fleet layer.
#pragma once

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/energy.h"
#include "toml_reader.h"

namespace tokenfab::fleet::internal {

// Reads whichever single form `energy` holds; errors name the offending field.
[[nodiscard]] StatusOr<PriceSchedule> ReadPrices(TableReader& energy);

}  // namespace tokenfab::fleet::internal
