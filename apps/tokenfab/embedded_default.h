// What `tokenfab serve` without a fleet file runs on, shared with `tokenfab usage` (which prices
// the energy of that site when no fleet file is given): the one local site's energy figures (the
// example fleet's hub site: 0.398 CNY/kWh flat, PUE 1.2, 55 % green, 250 g CO2/kWh), the local
// CPU node's power (10 W idle, 65 W at full load) and a demo price book, so that the first
// requests show a cost, an energy and a carbon.
//
// Demo prices (CNY per million tokens, every model, every region): 2.00 for uncached prompt
// tokens, 0.50 for cached prompt tokens, 8.00 for completion tokens.
#pragma once

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/ledger/price_book.h"
#include "tokenfab/ledger/store.h"

namespace tokenfab::cli {

inline constexpr const char* kEmbeddedCurrency = "CNY";

fleet::Site EmbeddedSite();
fleet::Hardware EmbeddedNodeHardware();
ledger::PriceEntry DemoPriceEntry();

// Adds DemoPriceEntry() to a ledger whose price book is empty (a fresh data folder); leaves a
// ledger with any price alone. Prints a line saying so when it adds it.
[[nodiscard]] Status EnsureDemoPrices(ledger::Store& store);

}  // namespace tokenfab::cli
