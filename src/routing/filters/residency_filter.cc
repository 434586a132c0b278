#include "residency_filter.h"

namespace tokenfab::routing {

void ResidencyFilter::Apply(RankContext& context, std::vector<Candidate>& candidates) const {
  const std::span<const std::string> names = context.request().allowed_regions;
  if (names.empty()) return;
  const fleet::FleetConfig& config = context.snapshot().config();
  std::vector<bool> allowed(config.regions().size(), false);
  for (const std::string& name : names) {
    for (uint32_t region : config.RegionsForResidency(name)) allowed[region] = true;
  }
  std::erase_if(candidates, [&](const Candidate& c) {
    return !allowed[config.SiteOf(config.upstreams()[c.index]).region_index];
  });
}

}  // namespace tokenfab::routing
