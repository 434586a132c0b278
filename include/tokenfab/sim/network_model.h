// NetworkModel: the delay of one message between the gateway and a site, from the fleet file's
// network path (rtt_ms, jitter_ms, loss): half the RTT, plus jitter (a normal deviation of
// jitter_ms / sqrt(2) each way, so a round trip deviates by jitter_ms; never below a quarter of
// the RTT), plus the expected retransmission delay of a lost packet, loss * RTO with
// RTO = max(200 ms, RTT + 4 * jitter) (Linux's minimum RTO). A site without a configured path
// is next to the gateway: no delay. Pure functions of their inputs and the Random's state.
#pragma once

#include <cstdint>

#include "tokenfab/base/random.h"
#include "tokenfab/fleet/fleet_config.h"

namespace tokenfab::sim {

// One-way delay, µs.
int64_t OneWayDelayMicros(const fleet::NetworkPath& path, base::Random& random);
// The same without the random jitter (its expectation), µs.
int64_t MeanOneWayDelayMicros(const fleet::NetworkPath& path);

}  // namespace tokenfab::sim
