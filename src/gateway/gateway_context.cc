#include "gateway_context.h"

namespace tokenfab::gateway {

GatewayMetrics::GatewayMetrics(base::MetricsRegistry& r)
    : registry(r),
      prompt_tokens(r.GetCounter("tokenfab_gateway_prompt_tokens_total",
                                 "Prompt tokens of the requests served")),
      completion_tokens(r.GetCounter("tokenfab_gateway_completion_tokens_total",
                                     "Completion tokens of the requests served")),
      cached_tokens(r.GetCounter("tokenfab_gateway_cached_tokens_total",
                                 "Prompt tokens served from upstream prefix caches")),
      energy_joules(r.GetCounter("tokenfab_gateway_energy_joules_total",
                                 "Facility energy of the requests served, J")),
      dispatch_seconds(r.GetHistogram("tokenfab_gateway_dispatch_seconds",
                                      "Time from a request's arrival to its upstream call",
                                      base::ExponentialBuckets(25e-6, 2, 16))),
      ttft_seconds(r.GetHistogram("tokenfab_gateway_ttft_seconds",
                                  "Time from a request's arrival to its first content",
                                  base::ExponentialBuckets(1e-3, 2, 16))),
      slo_queued(r.GetCounter("tokenfab_gateway_slo_queued_total",
                              "Requests that waited for an upstream predicted to meet their "
                              "TTFT objective")) {}

base::Counter& GatewayMetrics::Outcome(std::string_view outcome) {
  return registry.GetCounter("tokenfab_gateway_requests_total",
                             "Inference requests by how they ended",
                             {{"outcome", std::string(outcome)}});
}

void GatewayMetrics::RegionEnergy(const std::string& region, double energy_wh, double cost,
                                  double carbon_g, int64_t tokens) {
  const base::MetricLabels labels{{"region", region}};
  registry
      .GetCounter("tokenfab_gateway_region_energy_joules_total",
                  "Facility energy of the requests served, by region, J", labels)
      .Increment(energy_wh * 3600.0);
  registry
      .GetCounter("tokenfab_gateway_region_energy_cost_total",
                  "Cost of that energy at the sites' prices, fleet currency", labels)
      .Increment(cost);
  registry
      .GetCounter("tokenfab_gateway_region_carbon_grams_total",
                  "CO2 emitted for that energy at the sites' carbon intensity, by region, g",
                  labels)
      .Increment(carbon_g);
  registry
      .GetCounter("tokenfab_gateway_region_tokens_total",
                  "Prompt and completion tokens served, by region", labels)
      .Increment(static_cast<double>(tokens));
}

void GatewayMetrics::ObserveServed(const std::string& tier, int64_t ttft_micros,
                                   int64_t tpot_micros, int64_t ttft_slo_ms, int64_t tpot_slo_ms,
                                   double ttft_prediction_error) {
  const base::MetricLabels labels{{"tier", tier}};
  auto slo = [&](const char* objective, bool met) {
    registry
        .GetCounter("tokenfab_gateway_slo_requests_total",
                    "Requests checked against their tier's objective, by whether they met it",
                    {{"tier", tier}, {"objective", objective}, {"result", met ? "met" : "missed"}})
        .Increment();
  };
  if (ttft_micros > 0) {
    registry
        .GetHistogram("tokenfab_gateway_tier_ttft_seconds",
                      "Time to first token by the tenant's tier",
                      base::ExponentialBuckets(5e-3, 2, 14), labels)
        .Observe(static_cast<double>(ttft_micros) / 1e6);
    if (ttft_slo_ms > 0) slo("ttft", ttft_micros <= ttft_slo_ms * 1000);
  }
  if (tpot_micros > 0) {
    registry
        .GetHistogram("tokenfab_gateway_tier_tpot_seconds",
                      "Mean time per output token after the first, by the tenant's tier",
                      base::ExponentialBuckets(1e-3, 2, 12), labels)
        .Observe(static_cast<double>(tpot_micros) / 1e6);
    if (tpot_slo_ms > 0) slo("tpot", tpot_micros <= tpot_slo_ms * 1000);
  }
  if (ttft_prediction_error >= 0) {
    registry
        .GetHistogram("tokenfab_gateway_ttft_prediction_error_ratio",
                      "How far routing's TTFT prediction was off: |observed - predicted| / "
                      "predicted",
                      {0.1, 0.25, 0.5, 1, 2, 4, 8}, labels)
        .Observe(ttft_prediction_error);
  }
}

void GatewayMetrics::TenantUsage(const std::string& tenant, int64_t tokens, double spend,
                                 const std::string& currency) {
  registry
      .GetCounter("tokenfab_gateway_tenant_tokens_total",
                  "Prompt and completion tokens served, by tenant", {{"tenant", tenant}})
      .Increment(static_cast<double>(tokens));
  registry
      .GetCounter("tokenfab_gateway_tenant_spend_total",
                  "Price charged, by tenant, in the currency the label names",
                  {{"tenant", tenant}, {"currency", currency}})
      .Increment(spend);
}

void GatewayMetrics::LedgerEvent(bool ok) {
  registry
      .GetCounter("tokenfab_gateway_ledger_events_total",
                  "Usage events handed to the ledger, by whether they were made durable",
                  {{"result", ok ? "recorded" : "failed"}})
      .Increment();
}

}  // namespace tokenfab::gateway
