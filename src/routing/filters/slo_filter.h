// The "slo" filter (added by cost-slo and green-first): moves behind the rest every upstream whose
// predicted TTFT or TPOT (latency_predictor.h) misses the request's SLO with the configured
// headroom, so that the SLO decides first and the scorers rank within it. When no upstream meets
// it with the headroom, those predicted to meet it without are kept ahead of those predicted to
// miss: a request is never sent to a predicted miss while another upstream is predicted to meet.
// When none is predicted to meet it, all are fallback and the scorers still rank them.
#pragma once

#include "tokenfab/routing/filter.h"
#include "tokenfab/routing/policy_options.h"

namespace tokenfab::routing {

// Soft filter. Stateless; thread-safe.
class SloFilter final : public Filter {
 public:
  explicit SloFilter(const SloOptions& options) : options_(options) {}

  std::string_view name() const override { return "slo"; }
  void Apply(RankContext& context, std::vector<Candidate>& candidates) const override;

 private:
  const SloOptions options_;
};

}  // namespace tokenfab::routing
