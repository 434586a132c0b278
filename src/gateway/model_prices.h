// CheckModelPrices: the rule that no model is served unbilled by mistake. Every model an upstream
// of the fleet lists must have a price in the ledger's price book for the region of each upstream
// that serves it, or be marked free in the fleet file (`free_models`). An upstream listing "*"
// serves models it does not name; those are priced when a request comes (and a request whose
// model has no price is logged). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/ledger/price_book.h"

namespace tokenfab::gateway {

// A model an upstream lists with no price for its region (and not free).
struct UnpricedModel {
  std::string upstream;
  std::string model;
  std::string region;
};

// Every unpriced (upstream, model) pair of `fleet` at `wall_micros`, in upstream order.
std::vector<UnpricedModel> FindUnpricedModels(const fleet::FleetConfig& fleet,
                                              const ledger::PriceBook& book, int64_t wall_micros);

// OK when every served model is priced at `wall_micros` or free; otherwise FailedPrecondition
// naming the first model without a price, an upstream that serves it and its region, and the
// two ways to fix it.
[[nodiscard]] Status CheckModelPrices(const fleet::FleetConfig& fleet,
                                      const ledger::PriceBook& book, int64_t wall_micros);

}  // namespace tokenfab::gateway
