#include "slo_filter.h"

#include <algorithm>

#include "tokenfab/routing/latency_predictor.h"

namespace tokenfab::routing {

void SloFilter::Apply(RankContext& context, std::vector<Candidate>& candidates) const {
  const SloTarget& slo = context.request().slo;
  if (slo.ttft_ms <= 0 && slo.tpot_ms <= 0) return;
  // With margin where some upstream meets the SLO with it; else within the SLO where some
  // upstream is; else none meets it and all are fallback.
  for (const double headroom : {options_.slo_headroom, 1.0}) {
    const auto meets = [&](const Candidate& c) {
      return PredictedToMeet(context.Prediction(c.index), slo, headroom);
    };
    if (std::none_of(candidates.begin(), candidates.end(), meets)) continue;
    for (Candidate& c : candidates) {
      if (!meets(c)) c.fallback = true;
    }
    return;
  }
  for (Candidate& c : candidates) c.fallback = true;
}

}  // namespace tokenfab::routing
