#include "tokenfab/gateway/usage_economics.h"

#include <map>
#include <tuple>

#include "tokenfab/fleet/energy.h"

namespace tokenfab::gateway {

double UsageEconomicsRow::charged() const { return static_cast<double>(usage.cost) / 1e6; }

double UsageEconomicsRow::green_share() const {
  return usage.energy_wh > 0 ? green_wh / usage.energy_wh : 0.0;
}

namespace {

const fleet::Site* FindSite(std::span<const fleet::Site> sites, const std::string& name) {
  for (const fleet::Site& site : sites) {
    if (site.name == name) return &site;
  }
  return nullptr;
}

void Add(ledger::UsageRow& into, const ledger::UsageRow& row) {
  into.requests += row.requests;
  into.prompt_tokens += row.prompt_tokens;
  into.cached_tokens += row.cached_tokens;
  into.completion_tokens += row.completion_tokens;
  into.cost += row.cost;
  into.energy_wh += row.energy_wh;
  into.carbon_g += row.carbon_g;
  into.energy_cost += row.energy_cost;
  into.energy_wh_unpriced += row.energy_wh_unpriced;
}

}  // namespace

UsageEconomics ComputeUsageEconomics(const std::vector<ledger::UsageDimension>& group_by,
                                     const std::vector<ledger::UsageRow>& fine,
                                     std::span<const fleet::Site> sites,
                                     const std::string& energy_currency) {
  const size_t n = group_by.size();
  std::map<std::tuple<std::vector<std::string>, std::string>, UsageEconomicsRow> groups;
  for (const ledger::UsageRow& row : fine) {
    if (row.keys.size() != n + 2) continue;  // not a row of the fine query
    std::vector<std::string> keys(row.keys.begin(), row.keys.begin() + static_cast<long>(n));
    UsageEconomicsRow& group = groups[{keys, row.currency}];
    if (group.usage.keys.empty() && n > 0) group.usage.keys = keys;
    group.usage.currency = row.currency;
    Add(group.usage, row);
    group.energy_cost += row.energy_cost;  // as recorded with each event
    const fleet::Site* site = FindSite(sites, row.keys[n]);
    StatusOr<int64_t> hour = ledger::ParseUtcHour(row.keys[n + 1]);
    if (site == nullptr || !hour.ok()) {
      group.unpriced_wh += row.energy_wh_unpriced;
      continue;
    }
    // Events recorded without an energy cost: priced from the fleet file.
    const double price = fleet::PriceAt(site->energy, site->utc_offset_minutes, *hour);
    group.energy_cost += row.energy_wh_unpriced / 1000.0 * price;
    group.green_wh += row.energy_wh * site->energy.green_share;
  }
  UsageEconomics out;
  out.group_by = group_by;
  out.energy_currency = energy_currency;
  for (auto& [key, row] : groups) {
    row.same_currency = row.usage.currency == energy_currency;
    out.rows.push_back(std::move(row));
  }
  return out;
}

StatusOr<UsageEconomics> QueryUsageEconomics(ledger::Store& store, const ledger::UsageQuery& query,
                                             std::span<const fleet::Site> sites,
                                             const std::string& energy_currency) {
  ledger::UsageQuery fine = query;
  fine.group_by.push_back(ledger::UsageDimension::kSite);
  fine.group_by.push_back(ledger::UsageDimension::kHour);
  TF_ASSIGN_OR_RETURN(std::vector<ledger::UsageRow> rows, store.QueryUsage(fine));
  return ComputeUsageEconomics(query.group_by, rows, sites, energy_currency);
}

}  // namespace tokenfab::gateway
