// What changed between two fleet configurations: what a reload logs, and what tells the gateway
// which connection pools to open or drain. Pure.
#pragma once

#include <string>
#include <vector>

#include "tokenfab/fleet/fleet_config.h"

namespace tokenfab::fleet {

// Names (not indices: indices shift between configs) of what differs. Plain data.
struct FleetConfigDiff {
  std::vector<std::string> added_upstreams;    // only in `after`
  std::vector<std::string> removed_upstreams;  // only in `before`
  std::vector<std::string> changed_upstreams;  // in both, some field differs
  std::vector<std::string> changed_sites;      // added, removed or changed (energy, network, ...)
  std::vector<std::string> changed_regions;    // added, removed or changed
  std::vector<std::string> changed_models;     // [[models]] added, removed or changed
  bool currency_changed = false;
  bool gateway_changed = false;

  bool empty() const;
  // One line for logs: "upstreams +edge-2 -hub-1 ~coast-1; sites ~hub-west" or "no change".
  std::string ToString() const;
};

FleetConfigDiff DiffFleetConfigs(const FleetConfig& before, const FleetConfig& after);

}  // namespace tokenfab::fleet
