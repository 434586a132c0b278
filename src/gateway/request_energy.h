// The energy a request drew at the upstream that served it, from the upstream's hardware power,
// the site's PUE and carbon intensity, and how long and how crowded its service was:
//
//   IT energy (Wh) = P(u) * served_seconds / n / 3600
//
// where P(u) is the hardware's power at utilisation u (linear between idle and max, all devices),
// u = running / max_running when the upstream reports its limit, else its KV-cache use, and n the
// requests it was running (this one included): the machine's power over the time it served the
// request, shared equally among the requests it was serving. Facility energy is IT energy times
// PUE; carbon is facility energy times the site's g CO2/kWh. A lone request on an idle machine
// thus carries the idle power of its whole service time, and a full batch splits full power.
// Pure.
#pragma once

#include <cstdint>

#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/upstream_state.h"

namespace tokenfab::gateway {

struct RequestEnergy {
  double utilisation = 0;  // u above, [0, 1]
  int32_t sharing = 1;     // n above, >= 1
  double it_wh = 0;
  double facility_wh = 0;  // what the ledger records as energy_wh
  double carbon_g = 0;
};

// The upstream's utilisation now, u above without an added request: running / max_running when
// the limit is known, else its KV-cache use; [0, 1].
double UpstreamUtilisation(const fleet::UpstreamState& state, int32_t max_running);

// `state` is the upstream's state when the request was sent (without the request itself);
// `max_running` its reported limit (0 unknown); `served_micros` the time from sending the request
// to its last byte.
RequestEnergy EstimateRequestEnergy(const fleet::FleetConfig& config, uint32_t upstream,
                                    const fleet::UpstreamState& state, int32_t max_running,
                                    int64_t served_micros);

}  // namespace tokenfab::gateway
