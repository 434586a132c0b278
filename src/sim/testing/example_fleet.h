// The fleet the twin's tests run on: examples/fleet-three-regions.toml (three regions, a site
// each), loaded once per call. Test-only; needs TOKENFAB_EXAMPLES_DIR (sim_test defines it).
#pragma once

#include <memory>
#include <string>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/fleet_config_loader.h"

namespace tokenfab::sim::testing {

inline std::shared_ptr<const fleet::FleetConfig> ExampleFleet() {
  auto loaded =
      fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  TF_CHECK(loaded.ok()) << loaded.status().ToString();
  return std::make_shared<const fleet::FleetConfig>(*std::move(loaded));
}

}  // namespace tokenfab::sim::testing
