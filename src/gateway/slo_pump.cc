#include "slo_pump.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "tokenfab/routing/latency_predictor.h"

namespace tokenfab::gateway {

int64_t FleetDrainMicros(const GatewayContext& context) {
  const std::shared_ptr<const FleetGeneration> generation = context.fleet.generation();
  if (!generation) return 0;
  const std::shared_ptr<const fleet::FleetSnapshot> snapshot = context.fleet.Snapshot(*generation);
  const routing::RoutingRequest empty;
  double drain_ms = std::numeric_limits<double>::infinity();
  for (uint32_t i = 0; i < snapshot->states().size(); ++i) {
    if (!snapshot->state(i).healthy) continue;
    drain_ms = std::min(drain_ms, routing::PredictLatency(empty, *snapshot, i).queue_ms);
  }
  return drain_ms < 1e12 ? static_cast<int64_t>(std::ceil(drain_ms * 1000.0)) : 0;
}

void ScheduleSloPump(const std::shared_ptr<GatewayContext>& context) {
  if (context->slo_pump_scheduled.exchange(true)) return;
  std::weak_ptr<GatewayContext> weak = context;
  context->timers.RunAfter(context->options.slo_queue_tick, [weak] {
    std::shared_ptr<GatewayContext> ctx = weak.lock();
    if (!ctx) return;
    ctx->slo_pump_scheduled.store(false);
    ctx->slo_queue.Pump(ctx->clock.NowMicros(), FleetDrainMicros(*ctx));
    if (ctx->slo_queue.size() > 0) ScheduleSloPump(ctx);
  });
}

}  // namespace tokenfab::gateway
