#include "slo_filter.h"

namespace tokenfab::routing {

void SloFilter::Apply(RankContext& context, std::vector<Candidate>& candidates) const {
  const SloTarget& slo = context.request().slo;
  if (slo.ttft_ms <= 0 && slo.tpot_ms <= 0) return;
  for (Candidate& c : candidates) {
    if (!MeetsSlo(context.Estimate(c.index), slo, options_.slo_headroom)) c.fallback = true;
  }
}

}  // namespace tokenfab::routing
