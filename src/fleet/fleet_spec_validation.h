// Semantic validation of a FleetSpec, shared by FleetConfig::Create (which reports the field) and
// the TOML loader (which adds the file and line of that field).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "tokenfab/fleet/fleet_config.h"

namespace tokenfab::fleet::internal {

// A problem with one field. `field` is the path as written in a fleet file:
// "upstreams[1].hardware.count", "sites[0].energy.pue", "network[2].site".
struct FieldError {
  std::string field;
  std::string message;
};

// Fills the defaults Create documents (a region's residency, a site's currency) in place.
void ApplyDefaults(FleetSpec& spec);

// The first problem found, or nullopt when `spec` is a valid fleet. REQUIRES: ApplyDefaults ran.
std::optional<FieldError> ValidateFleetSpec(const FleetSpec& spec);

// Stable 64-bit id of an upstream name (XXH3).
uint64_t UpstreamKey(std::string_view name);

}  // namespace tokenfab::fleet::internal
