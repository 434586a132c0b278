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
      energy_wh(r.GetCounter("tokenfab_gateway_energy_wh_total",
                             "Facility energy of the requests served, Wh")),
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
                                  int64_t tokens) {
  const base::MetricLabels labels{{"region", region}};
  registry.GetCounter("tokenfab_gateway_region_energy_wh_total",
                      "Facility energy of the requests served, by region, Wh", labels)
      .Increment(energy_wh);
  registry.GetCounter("tokenfab_gateway_region_energy_cost_total",
                      "Cost of that energy at the sites' prices, fleet currency", labels)
      .Increment(cost);
  registry.GetCounter("tokenfab_gateway_region_tokens_total",
                      "Prompt and completion tokens served, by region", labels)
      .Increment(static_cast<double>(tokens));
}

}  // namespace tokenfab::gateway
