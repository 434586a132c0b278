// RequestRelay's SLO admission: the kWaiting phase (see request_relay.h and slo_queue.h).

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "request_relay.h"
#include "slo_pump.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/routing/latency_predictor.h"

namespace tokenfab::gateway {

bool RequestRelay::MayWaitForSlo() const {
  const GatewayOptions& options = context_->options;
  const ledger::Tier& tier = admitted_.principal.tier;
  if (!options.slo_admission || tier.ttft_slo_ms <= 0) return false;
  // Flex waits for spare capacity on its own terms; batch lines are retried by their runner.
  if (admitted_.tier.served != ledger::ServiceTier::kDefault &&
      admitted_.tier.served != ledger::ServiceTier::kPriority) {
    return false;
  }
  return std::find(options.best_effort_tiers.begin(), options.best_effort_tiers.end(), tier.name) ==
         options.best_effort_tiers.end();
}

bool RequestRelay::SomeoneMeetsTtft(int64_t now_micros) const {
  return PredictedDrainMicros(now_micros) == 0;
}

int64_t RequestRelay::PredictedDrainMicros(int64_t now_micros) const {
  const double budget_ms =
      admitted_.routing.slo.ttft_ms - static_cast<double>(now_micros - arrival_.micros) / 1000.0;
  double drain_ms = std::numeric_limits<double>::infinity();
  for (const routing::RankedUpstream& r : admitted_.decision.ranked) {
    const routing::LatencyPrediction p =
        routing::PredictLatency(admitted_.routing, *admitted_.snapshot, r.index);
    drain_ms = std::min(drain_ms, std::max(0.0, p.ttft_ms - budget_ms));
  }
  if (!(drain_ms < 1e12)) return std::numeric_limits<int32_t>::max();
  return static_cast<int64_t>(std::ceil(drain_ms * 1000.0));
}

void RequestRelay::WaitForSlo() {
  GatewayContext& ctx = *context_;
  const int64_t now = ctx.clock.NowMicros();
  // It must start by the deadline less what the fastest upstream needs with an empty queue.
  double service_ms = std::numeric_limits<double>::infinity();
  for (const routing::RankedUpstream& r : admitted_.decision.ranked) {
    const routing::LatencyPrediction p =
        routing::PredictLatency(admitted_.routing, *admitted_.snapshot, r.index);
    service_ms = std::min(service_ms, p.rtt_ms + p.retransmit_ms + p.prefill_ms);
  }
  SloWaiter waiter;
  waiter.tenant = admitted_.principal.tenant.name;
  waiter.priority = admitted_.principal.tier.priority;
  waiter.latest_start_us =
      arrival_.micros + static_cast<int64_t>((admitted_.routing.slo.ttft_ms - service_ms) * 1000.0);
  auto self = shared_from_this();
  waiter.try_release = [self](int64_t now_micros) { return self->TryRelease(now_micros); };
  waiter.expire = [self](int retry_after_s) { self->ExpireFromQueue(retry_after_s); };
  Enter(RelayPhase::kWaiting);
  const SloOffer offer = ctx.slo_queue.Offer(std::move(waiter), now, PredictedDrainMicros(now));
  if (offer.verdict == SloVerdict::kQueued) {
    ctx.metrics.slo_queued.Increment();
    return ScheduleSloPump(context_);
  }
  FinishTicket(0);
  const bool tenant = offer.verdict == SloVerdict::kTenantLimit;
  Reject(api::ApiErrorResponse(api::MakeApiError(
      offer.http_status,
      tenant ? "Too many of your requests are waiting for capacity within their latency "
               "objective; retry later."
             : fmt::format("No upstream can serve model '{}' within your tier's {} ms time to "
                           "first token now; retry later.",
                           admitted_.request.model, admitted_.principal.tier.ttft_slo_ms),
      tenant ? "requests" : "server_error",
      tenant ? "rate_limit_exceeded" : "slo_capacity_exhausted", offer.retry_after_s)));
}

bool RequestRelay::TryRelease(int64_t now_micros) {
  GatewayContext& ctx = *context_;
  if (exchange_->cancelled()) {
    FinishTicket(0);
    ctx.metrics.Outcome("cancelled").Increment();
    Enter(RelayPhase::kDone);
    return true;
  }
  admitted_.snapshot = ctx.fleet.Snapshot(*admitted_.generation);
  admitted_.decision = admitted_.generation->policy->Rank(admitted_.routing, *admitted_.snapshot);
  if (admitted_.decision.empty() || !SomeoneMeetsTtft(now_micros)) return false;
  Enter(RelayPhase::kCalling);
  StartAttempt();
  return true;
}

void RequestRelay::ExpireFromQueue(int retry_after_s) {
  FinishTicket(0);
  Reject(api::ApiErrorResponse(api::MakeApiError(
      503,
      fmt::format("No upstream could serve model '{}' within your tier's {} ms time to first "
                  "token; retry later.",
                  admitted_.request.model, admitted_.principal.tier.ttft_slo_ms),
      "server_error", "slo_capacity_exhausted", retry_after_s)));
}

}  // namespace tokenfab::gateway
