// The "slo" filter (added by cost-slo and green-first): moves behind the rest every upstream whose
// predicted TTFT (RTT + queue delay + prefill time) or measured TPOT misses the request's SLO, so
// that the SLO decides first and the scorers rank within it. When no upstream meets the SLO, all
// are fallback and the scorers still rank them.
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
