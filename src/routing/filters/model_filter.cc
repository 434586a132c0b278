#include "model_filter.h"

namespace tokenfab::routing {

void ModelFilter::Apply(RankContext& context, std::vector<Candidate>& candidates) const {
  // The config's per-model index spares a string compare per upstream; both lists ascend, so one
  // merge walk intersects them.
  const std::span<const uint32_t> serving =
      context.snapshot().config().UpstreamsServing(context.request().model);
  auto next = serving.begin();
  size_t kept = 0;
  for (const Candidate& c : candidates) {
    while (next != serving.end() && *next < c.index) ++next;
    if (next == serving.end()) break;
    if (*next == c.index) candidates[kept++] = c;
  }
  candidates.resize(kept);
}

}  // namespace tokenfab::routing
