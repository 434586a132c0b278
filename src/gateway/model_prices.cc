#include "model_prices.h"

#include <fmt/format.h>

namespace tokenfab::gateway {

Status CheckModelPrices(const fleet::FleetConfig& fleet, const ledger::PriceBook& book,
                        int64_t wall_micros) {
  for (const fleet::Upstream& up : fleet.upstreams()) {
    const std::string& region = fleet.SiteOf(up).region;
    for (const std::string& model : up.models) {
      if (model == "*" || fleet.IsFree(model)) continue;
      if (book.Lookup(model, region, wall_micros).ok()) continue;
      return absl::FailedPreconditionError(fmt::format(
          "{}model \"{}\" (served by upstream {} in region {}) has no price in the ledger's "
          "price book, so its tokens would be recorded at cost 0: add one (`tokenfab prices set "
          "--model {} ...`) or, to serve it at no charge, list it in the fleet file's "
          "free_models",
          fleet.source().empty() ? "" : fleet.source() + ": ", model, up.name, region, model));
    }
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::gateway
