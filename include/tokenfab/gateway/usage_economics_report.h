// UsageEconomics as text: an aligned table for people (energy in mWh / Wh / kWh, so that a few
// short requests do not round to zero), CSV (RFC 4180) and JSON for export. Columns: the group-by
// keys, currency, requests, prompt / cached / completion / total tokens, cost (price charged),
// energy, energy cost (in the energy currency), margin (cost - energy cost; empty when the
// currencies differ), green share, carbon. Pure functions.
#pragma once

#include <string>

#include "tokenfab/gateway/usage_economics.h"

namespace tokenfab::gateway {

// Energy in the largest of µWh, mWh, Wh and kWh that keeps the number at 1 or more (µWh below
// that), three decimals: "170.000 µWh", "42.500 mWh", "12.500 Wh", "3.250 kWh"; "0 Wh" for zero.
std::string FormatEnergy(double wh);

std::string FormatUsageEconomicsTable(const UsageEconomics& economics);
std::string FormatUsageEconomicsCsv(const UsageEconomics& economics);
std::string FormatUsageEconomicsJson(const UsageEconomics& economics);

}  // namespace tokenfab::gateway
