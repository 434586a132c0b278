// The economics of usage: what the ledger records per request (price charged, facility energy,
// its energy cost, carbon) joined with what the fleet file knows per site (the price of a kWh by
// local hour, the green share of the supply), so that a report can show, per group:
//
//   energy cost  = sum over events of their stored energy cost (the gateway's facility energy
//                  times the site's price at the request's local hour, in the fleet currency)
//   margin       = price charged - energy cost        (when both are in the same currency)
//   green share  = sum of energy_wh * site green share / sum of energy_wh
//
// The stored energy cost is the single source where it exists. Events recorded before the ledger
// stored one (UsageRow::energy_wh_unpriced) are priced here from events grouped by (site, UTC
// hour): the price of a bucket is the site's price at the start of that hour, in the fleet
// currency (fleet::PriceAt). Such events of a site the fleet no longer lists carry no energy
// cost, and events of such a site count as not green; `unpriced_wh` says how much energy had no
// cost. Pure functions, plus one that reads the store.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/ledger/store.h"
#include "tokenfab/ledger/usage_event.h"

namespace tokenfab::gateway {

struct UsageEconomicsRow {
  ledger::UsageRow usage;  // keys, tokens, price charged (usage.currency), energy, carbon
  double energy_cost = 0;  // the report's energy currency
  double green_wh = 0;     // the part of usage.energy_wh drawn from renewables
  double unpriced_wh = 0;  // energy without a stored cost, at sites the fleet does not list

  double charged() const;      // usage.cost in currency units
  double green_share() const;  // green_wh / energy_wh; 0 without energy
  bool same_currency = false;  // usage.currency == the energy currency: margin() is meaningful
  double margin() const { return charged() - energy_cost; }
};

struct UsageEconomics {
  std::vector<ledger::UsageDimension> group_by;
  std::string energy_currency;  // the fleet currency
  std::vector<UsageEconomicsRow> rows;
};

// `fine` are the rows of a query grouped by `group_by` followed by kSite and kHour (in that
// order). Rolls them up to `group_by` (rows ordered by keys, then currency), adding energy cost
// and green energy from `sites`.
UsageEconomics ComputeUsageEconomics(const std::vector<ledger::UsageDimension>& group_by,
                                     const std::vector<ledger::UsageRow>& fine,
                                     std::span<const fleet::Site> sites,
                                     const std::string& energy_currency);

// Runs `query` (grouped by its group_by plus site and hour) on `store` and computes the above.
[[nodiscard]] StatusOr<UsageEconomics> QueryUsageEconomics(ledger::Store& store,
                                                           const ledger::UsageQuery& query,
                                                           std::span<const fleet::Site> sites,
                                                           const std::string& energy_currency);

}  // namespace tokenfab::gateway
