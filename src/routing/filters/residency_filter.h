// The "residency" filter: data residency. When a request lists allowed regions (tenant-facing
// names: a region's residency or its own name), only upstreams at sites in those regions stay.
#pragma once

#include "tokenfab/routing/filter.h"

namespace tokenfab::routing {

// Hard filter. A name that matches no region allows nothing (never everything). Stateless;
// thread-safe.
class ResidencyFilter final : public Filter {
 public:
  std::string_view name() const override { return "residency"; }
  void Apply(RankContext& context, std::vector<Candidate>& candidates) const override;
};

}  // namespace tokenfab::routing
