// What sending one request to one upstream would take: predicted time to first token, energy,
// money and carbon. Pure functions of (request, snapshot); cost-slo and green-first rank on them,
// and the gateway may report them.
#pragma once

#include <cstdint>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/routing_request.h"

namespace tokenfab::routing {

// Plain data.
struct UpstreamEstimate {
  double rtt_ms = 0;          // measured RTT, else the configured path's, else 0
  double queue_ms = 0;        // wait before prefill starts (see EstimateRequest)
  int32_t cached_tokens = 0;  // prompt tokens the upstream reports cached
  double prefill_ms = 0;      // uncached prompt tokens / prefill rate
  double ttft_ms = 0;         // rtt + queue + prefill
  double tpot_ms = 0;         // measured time per output token; 0 unknown
  double energy_wh = 0;       // facility energy of the request (IT energy times PUE), Wh
  double cost = 0;            // energy_wh at the site's price now, fleet currency
  double carbon_g = 0;        // g CO2 of energy_wh at the site's carbon intensity
};

// Predicts `request` at upstream `upstream` of `snapshot`:
// - rates: the measured prefill/decode tokens/s when known, else the upstream's nominal ones;
// - queue: the upstream's queue-delay estimate when known, else `waiting` requests each taking
//   as long to prefill as this one;
// - cached tokens: the leading prompt blocks found in the upstream's reported cached blocks;
// - energy: uncached prompt tokens and expected output tokens, each at full-load power over the
//   rate (Wh per token), times the site's PUE.
UpstreamEstimate EstimateRequest(const RoutingRequest& request,
                                 const fleet::FleetSnapshot& snapshot, uint32_t upstream);

// Whether the estimate meets the SLO with `headroom` (<= 1: a margin for prediction error). A
// zero SLO term is always met; an unknown TPOT meets any TPOT SLO.
bool MeetsSlo(const UpstreamEstimate& estimate, const SloTarget& slo, double headroom);

}  // namespace tokenfab::routing
