// RequestRelay's kWaiting phase (see request_relay.h and slo_queue.h): interactive requests
// waiting for their TTFT SLO and flex requests waiting for the valley gate's room, in the one
// SLO-first queue.

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "request_relay.h"
#include "slo_pump.h"
#include "spare_capacity.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/routing/latency_predictor.h"
#include "valley_gate.h"

namespace tokenfab::gateway {
namespace {

constexpr int kFlexRetryAfterSeconds = 5;  // a flex request refused for want of spare capacity

}  // namespace

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
  waiter.band = WorkBand::kInteractive;
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

std::optional<uint32_t> RequestRelay::FlexSite() {
  GatewayContext& ctx = *context_;
  admitted_.snapshot = ctx.fleet.Snapshot(*admitted_.generation);
  std::vector<uint32_t> ranked;
  ranked.reserve(admitted_.decision.ranked.size());
  for (const routing::RankedUpstream& r : admitted_.decision.ranked) ranked.push_back(r.index);
  const ValleyOptions options = ctx.valley.Options(ctx.store, ctx.options.default_output_tokens,
                                                   admitted_.snapshot->wall_micros());
  return ValleyGate::FlexSite(*admitted_.generation, *admitted_.snapshot, options, ranked);
}

void RequestRelay::WaitForFlexRoom() {
  GatewayContext& ctx = *context_;
  const int64_t now = ctx.clock.NowMicros();
  // Room now and nobody ahead of it: no wait.
  SloWaiter waiter;
  waiter.tenant = admitted_.principal.tenant.name;
  waiter.band = WorkBand::kFlex;
  waiter.priority = admitted_.tier.priority;
  waiter.latest_start_us =
      now +
      std::chrono::duration_cast<std::chrono::microseconds>(ctx.options.flex_max_wait).count();
  if (!ctx.slo_queue.AheadOf(waiter, now) && TryReleaseFlex(now)) return;
  auto self = shared_from_this();
  waiter.try_release = [self](int64_t now_micros) { return self->TryReleaseFlex(now_micros); };
  waiter.expire = [self](int) { self->RefuseFlex(); };
  Enter(RelayPhase::kWaiting);
  const SloOffer offer = ctx.slo_queue.Offer(std::move(waiter), now, 0);
  if (offer.verdict == SloVerdict::kQueued) return ScheduleSloPump(context_);
  RefuseFlex();
}

bool RequestRelay::TryReleaseFlex(int64_t /*now_micros*/) {
  GatewayContext& ctx = *context_;
  if (exchange_->cancelled()) {
    FinishTicket(0);
    ctx.metrics.Outcome("cancelled").Increment();
    Enter(RelayPhase::kDone);
    return true;
  }
  const std::optional<uint32_t> site = FlexSite();
  if (!site) return false;
  // Rank again on the state that made room, the released site's upstreams first.
  routing::RoutingDecision decision =
      admitted_.generation->policy->Rank(admitted_.routing, *admitted_.snapshot);
  if (!decision.empty()) admitted_.decision = std::move(decision);
  const fleet::FleetConfig& config = *admitted_.generation->config;
  PreferSite(admitted_.decision, config, config.sites()[*site].name);
  Enter(RelayPhase::kCalling);
  StartAttempt();
  return true;
}

void RequestRelay::RefuseFlex() {
  FinishTicket(0);
  Reject(api::ApiErrorResponse(api::MakeApiError(
      429,
      "Flex capacity is short right now; the request waited for spare capacity and was not "
      "served. Retry later or use the default service tier.",
      "rate_limit_error", "flex_capacity_unavailable", kFlexRetryAfterSeconds)));
}

}  // namespace tokenfab::gateway
