#include "usage_recording.h"

#include <algorithm>
#include <cmath>

#include "request_energy.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/routing/estimates.h"
#include "usage_check.h"

namespace tokenfab::gateway {

namespace {

// The energy, its cost (the site's price at this hour), carbon and price of an event that used
// tokens, on the upstream of `attempt`; the energy and its cost also go to the region's metrics.
void AddEnergyAndCost(GatewayContext& ctx, const AdmittedRequest& admitted,
                      const ServedAttempt& attempt, ledger::UsageEvent& e) {
  const fleet::FleetConfig& config = *admitted.generation->config;
  const fleet::Upstream& up = config.upstreams()[attempt.upstream_index];
  const RequestEnergy energy = EstimateRequestEnergy(
      config, attempt.upstream_index, attempt.state_at_dispatch, attempt.runtime->max_running(),
      ctx.clock.NowMicros() - attempt.dispatch_micros);
  e.energy_wh = energy.facility_wh;
  e.carbon_g = energy.carbon_g;
  const double energy_cost =
      energy.facility_wh / 1000.0 * admitted.snapshot->SitePrice(up.site_index);
  e.energy_cost = energy_cost;
  ctx.metrics.RegionEnergy(e.region, e.energy_wh, energy_cost, e.carbon_g, e.total_tokens());
  StatusOr<ledger::Cost> cost =
      ctx.prices.Get()->Quote(e.model, e.region, e.finished_micros, e.prompt_tokens,
                              e.cached_tokens, e.completion_tokens, admitted.tier.billed);
  if (cost.ok()) {
    e.cost = cost->amount;
    e.currency = cost->currency;
  } else if (e.total_tokens() > 0 && !config.IsFree(e.model)) {
    // A model a wildcard upstream served, or a price removed since the fleet was checked.
    TF_LOG_WARN("request {}: model {} has no price in region {}: recorded at cost 0 ({})",
                e.request_id, e.model, e.region, cost.status().message());
  }
}

// What operators watch: the operations page's history and the per-tier latency, SLO and
// prediction metrics.
void ReportToOperations(GatewayContext& ctx, const AdmittedRequest& admitted,
                        const ServedAttempt& attempt, const ledger::UsageEvent& e) {
  const ledger::Tier& tier = admitted.principal.tier;
  double energy_price = 0;
  double prediction_error = -1;
  if (attempt.runtime != nullptr) {
    const fleet::Upstream& up = admitted.generation->config->upstreams()[attempt.upstream_index];
    energy_price = admitted.snapshot->SitePrice(up.site_index);
    if (e.ttft_micros > 0) {
      const routing::UpstreamEstimate estimate =
          routing::EstimateRequest(admitted.routing, *admitted.snapshot, attempt.upstream_index);
      if (estimate.ttft_ms > 0) {
        prediction_error = std::fabs(static_cast<double>(e.ttft_micros) / 1e3 - estimate.ttft_ms) /
                           estimate.ttft_ms;
      }
    }
  }
  ctx.ops.OnEvent(e, tier, energy_price);
  if (e.total_tokens() > 0) {
    ctx.metrics.TenantUsage(e.tenant, e.total_tokens(), static_cast<double>(e.cost) / 1e6,
                            e.currency);
  }
  if (e.status == "ok") {
    ctx.metrics.ObserveServed(tier.name, e.ttft_micros, e.tpot_micros, tier.ttft_slo_ms,
                              tier.tpot_slo_ms, prediction_error);
  }
}

// Counts the streamed text with the model's tokenizer and flags (a metric per upstream and a
// warning) a reported completion count beyond the tolerance (usage_check.h). Only answers that
// ended normally with text alone: tool calls' arguments are not in the meter's text. Without a
// vocabulary for the model there is nothing to count with.
void CrossCheckUsage(GatewayContext& ctx, const AdmittedRequest& admitted,
                     const ResponseMeter& meter, const fleet::Upstream& up, const fleet::Site& site,
                     const ledger::UsageEvent& e) {
  if (e.status != "ok" || meter.finish_reason() == "tool_calls") return;
  const ModelVocabularies& vocabularies = *admitted.generation->vocabularies;
  if (vocabularies.Find(admitted.request.model) == nullptr) return;
  const int64_t counted = vocabularies.CountText(admitted.request.model, meter.text());
  const base::MetricLabels labels{
      {"upstream", up.name}, {"site", site.name}, {"region", site.region}};
  ctx.metrics.registry
      .GetCounter("tokenfab_gateway_upstream_usage_checks_total",
                  "Answers whose reported completion tokens were checked against a count of "
                  "their text",
                  labels)
      .Increment();
  if (!ReportedUsageDisagrees(e.completion_tokens, counted)) return;
  ctx.metrics.registry
      .GetCounter("tokenfab_gateway_upstream_usage_mismatches_total",
                  "Answers whose reported completion tokens differ from a count of their text "
                  "beyond the tolerance",
                  labels)
      .Increment();
  TF_LOG_WARN("request {}: upstream {} reported {} completion tokens; its text counts {}",
              e.request_id, up.name, e.completion_tokens, counted);
}

}  // namespace

ledger::UsageEvent BuildUsageEvent(GatewayContext& ctx, const AdmittedRequest& admitted,
                                   const RequestArrival& arrival, const ServedAttempt& attempt,
                                   std::string_view status, int http_status) {
  const fleet::FleetConfig& config = *admitted.generation->config;
  ledger::UsageEvent e;
  e.request_id = admitted.request_id;
  e.tenant = admitted.principal.tenant.name;
  e.key_id = admitted.principal.key_id;
  e.model = admitted.request.model;
  e.status = std::string(status);
  e.http_status = http_status;
  e.started_micros = arrival.wall_micros;
  e.finished_micros = ctx.clock.WallMicros();
  e.currency = config.currency();
  e.service_tier = std::string(ledger::ServiceTierName(admitted.tier.served));
  e.billed_tier = std::string(ledger::ServiceTierName(admitted.tier.billed));
  if (attempt.runtime == nullptr) {
    ReportToOperations(ctx, admitted, attempt, e);
    return e;
  }
  const ResponseMeter& meter = *attempt.meter;
  const fleet::Upstream& up = config.upstreams()[attempt.upstream_index];
  const fleet::Site& site = config.SiteOf(up);
  const fleet::Region& region = config.RegionOf(site);
  e.upstream = up.name;
  e.site = site.name;
  e.region = region.name;
  const std::optional<ReportedUsage>& usage = meter.usage();
  if (usage) {
    e.prompt_tokens = usage->prompt_tokens;
    // A discount for cached prompt tokens only on the word of an upstream trusted with it.
    e.cached_tokens = up.trust_cached_tokens ? usage->cached_tokens : 0;
    e.completion_tokens = usage->completion_tokens;
    CrossCheckUsage(ctx, admitted, meter, up, site, e);
  } else if (meter.content_events() > 0) {
    e.prompt_tokens = admitted.generation->vocabularies->CountPrompt(admitted.request);
    e.completion_tokens =
        admitted.generation->vocabularies->CountText(admitted.request.model, meter.text());
  }
  if (meter.first_content_micros() > 0) {
    e.ttft_micros = meter.first_content_micros() - arrival.micros;
    if (e.completion_tokens > 1) {
      e.tpot_micros =
          (meter.last_content_micros() - meter.first_content_micros()) / (e.completion_tokens - 1);
    }
  }
  if (e.total_tokens() > 0) AddEnergyAndCost(ctx, admitted, attempt, e);
  ctx.metrics.prompt_tokens.Increment(static_cast<double>(e.prompt_tokens));
  ctx.metrics.completion_tokens.Increment(static_cast<double>(e.completion_tokens));
  ctx.metrics.cached_tokens.Increment(static_cast<double>(e.cached_tokens));
  ctx.metrics.energy_joules.Increment(e.energy_wh * 3600.0);
  ReportToOperations(ctx, admitted, attempt, e);
  return e;
}

ReportedUsage ProgressPromptUsage(const std::optional<ReportedUsage>& reported,
                                  bool trust_cached_tokens, const ProgressPrompt& prompt) {
  ReportedUsage usage;
  if (reported) {
    usage.prompt_tokens = reported->prompt_tokens;
    usage.cached_tokens = trust_cached_tokens ? reported->cached_tokens : 0;
  } else {
    usage.prompt_tokens = std::max<int64_t>(0, prompt.counted);
    usage.cached_tokens = trust_cached_tokens
                              ? std::clamp<int64_t>(prompt.predicted_cached, 0, usage.prompt_tokens)
                              : 0;
  }
  return usage;
}

ledger::UsageEvent BuildProgressEvent(GatewayContext& ctx, const AdmittedRequest& admitted,
                                      const RequestArrival& arrival, const ServedAttempt& attempt,
                                      const ProgressPrompt& prompt,
                                      const DeliveredContent& delivered) {
  const fleet::FleetConfig& config = *admitted.generation->config;
  const fleet::Upstream& up = config.upstreams()[attempt.upstream_index];
  const fleet::Site& site = config.SiteOf(up);
  const ResponseMeter& meter = *attempt.meter;
  ledger::UsageEvent e;
  e.request_id = admitted.request_id;
  e.tenant = admitted.principal.tenant.name;
  e.key_id = admitted.principal.key_id;
  e.model = admitted.request.model;
  e.status = "interrupted";
  e.http_status = 200;
  e.started_micros = arrival.wall_micros;
  e.finished_micros = ctx.clock.WallMicros();
  e.recorded_micros = e.finished_micros;
  e.currency = config.currency();
  e.service_tier = std::string(ledger::ServiceTierName(admitted.tier.served));
  e.billed_tier = std::string(ledger::ServiceTierName(admitted.tier.billed));
  e.upstream = up.name;
  e.site = site.name;
  e.region = config.RegionOf(site).name;
  const ReportedUsage billed = ProgressPromptUsage(meter.usage(), up.trust_cached_tokens, prompt);
  e.prompt_tokens = billed.prompt_tokens;
  e.cached_tokens = billed.cached_tokens;
  e.completion_tokens = std::min(
      delivered.events, admitted.generation->vocabularies->CountText(e.model, delivered.text));
  if (meter.first_content_micros() > 0) {
    e.ttft_micros = meter.first_content_micros() - arrival.micros;
  }
  StatusOr<ledger::Cost> cost =
      ctx.prices.Get()->Quote(e.model, e.region, e.finished_micros, e.prompt_tokens,
                              e.cached_tokens, e.completion_tokens, admitted.tier.billed);
  if (cost.ok()) {
    e.cost = cost->amount;
    e.currency = cost->currency;
  }
  return e;
}

void RecordUsage(std::shared_ptr<GatewayContext> context, ledger::UsageEvent event,
                 std::function<void(bool durable)> then) {
  auto done = [context, request_id = event.request_id,
               then = std::move(then)](StatusOr<ledger::InsertOutcome> outcome) {
    context->metrics.LedgerEvent(outcome.ok());
    if (outcome.ok()) {
      context->counters.recorded.fetch_add(1, std::memory_order_relaxed);
    } else {
      context->counters.record_failures.fetch_add(1, std::memory_order_relaxed);
      TF_LOG_ERROR("request {}: usage event not recorded: {}", request_id,
                   outcome.status().message());
    }
    then(outcome.ok());
  };
  Status queued = context->recorder.TryRecord(event, done);
  if (absl::IsResourceExhausted(queued)) {
    // The ledger is behind: wait for room on a control worker, not on an I/O loop.
    context->control.Schedule([context, event = std::move(event), done]() mutable {
      Status s = context->recorder.Record(std::move(event), done);
      if (!s.ok()) done(s);
    });
    return;
  }
  if (!queued.ok()) done(queued);
}

}  // namespace tokenfab::gateway
