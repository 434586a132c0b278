#include "model_prices.h"

#include <fmt/format.h>

namespace tokenfab::gateway {

std::vector<UnpricedModel> FindUnpricedModels(const fleet::FleetConfig& fleet,
                                              const ledger::PriceBook& book, int64_t wall_micros) {
  std::vector<UnpricedModel> unpriced;
  for (const fleet::Upstream& up : fleet.upstreams()) {
    const std::string& region = fleet.SiteOf(up).region;
    for (const std::string& model : up.models) {
      if (model == "*" || fleet.IsFree(model)) continue;
      if (book.Lookup(model, region, wall_micros).ok()) continue;
      unpriced.push_back({up.name, model, region});
    }
  }
  return unpriced;
}

Status CheckModelPrices(const fleet::FleetConfig& fleet, const ledger::PriceBook& book,
                        int64_t wall_micros) {
  const std::vector<UnpricedModel> unpriced = FindUnpricedModels(fleet, book, wall_micros);
  if (unpriced.empty()) return absl::OkStatus();
  const UnpricedModel& u = unpriced.front();
  return absl::FailedPreconditionError(fmt::format(
      "{}model \"{}\" (served by upstream {} in region {}) has no price in the ledger's "
      "price book, so its tokens would be recorded at cost 0: add one (`tokenfab prices set "
      "--model {} ...`) or, to serve it at no charge, list it in the fleet file's "
      "free_models",
      fleet.source().empty() ? "" : fleet.source() + ": ", u.model, u.upstream, u.region, u.model));
}

}  // namespace tokenfab::gateway
