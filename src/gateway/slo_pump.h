// The timer that pumps the gateway's SLO queue (slo_queue.h): while requests wait, every
// GatewayOptions::slo_queue_tick the waiters re-predict on the fleet's state then and those an
// upstream can now serve in time are dispatched; those past their latest start are refused.
#pragma once

#include <cstdint>
#include <memory>

#include "gateway_context.h"

namespace tokenfab::gateway {

// Schedules one pump unless one is pending. Thread-safe. The timer holds the context weakly.
void ScheduleSloPump(const std::shared_ptr<GatewayContext>& context);

// The fleet's predicted drain now: the shortest predicted queue of a healthy upstream, µs (for
// the Retry-After of requests that expire).
int64_t FleetDrainMicros(const GatewayContext& context);

}  // namespace tokenfab::gateway
