#include "embedded_default.h"

#include <cstdio>

namespace tokenfab::cli {

fleet::Site EmbeddedSite() {
  fleet::Site site;
  site.name = "local";
  site.region = "local";
  site.energy.currency = kEmbeddedCurrency;
  site.energy.prices = fleet::PriceSchedule::Flat(0.398);
  site.energy.pue = 1.2;
  site.energy.green_share = 0.55;
  site.energy.carbon_g_per_kwh = 250;
  return site;
}

fleet::Hardware EmbeddedNodeHardware() {
  return {.kind = fleet::DeviceKind::kCpu,
          .model = "this machine",
          .count = 1,
          .peak_tflops = 1,
          .mem_bandwidth_gbps = 50,
          .power_idle_w = 10,
          .power_max_w = 65};
}

ledger::PriceEntry DemoPriceEntry() {
  return {.model = std::string(ledger::kAnyModel),
          .region = std::string(ledger::kAnyRegion),
          .input_per_million = 2'000'000,
          .cached_input_per_million = 500'000,
          .output_per_million = 8'000'000,
          .currency = kEmbeddedCurrency,
          .effective_from_micros = 0};
}

Status EnsureDemoPrices(ledger::Store& store) {
  TF_ASSIGN_OR_RETURN(std::vector<ledger::PriceEntry> prices, store.ListPrices());
  if (!prices.empty()) return absl::OkStatus();
  TF_RETURN_IF_ERROR(store.AddPrice(DemoPriceEntry()));
  std::printf(
      "demo price book: CNY 2.00 / 0.50 / 8.00 per million prompt / cached / completion tokens "
      "(change it with `tokenfab prices`)\n");
  return absl::OkStatus();
}

}  // namespace tokenfab::cli
