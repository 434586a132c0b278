// The "health" filter: removes upstreams that fail health checks or whose circuit is open, and
// moves half-open ones (probing) behind the rest.
#pragma once

#include "tokenfab/routing/filter.h"

namespace tokenfab::routing {

// Hard for unhealthy and open, soft for half-open. Stateless; thread-safe.
class HealthFilter final : public Filter {
 public:
  std::string_view name() const override { return "health"; }
  void Apply(RankContext& context, std::vector<Candidate>& candidates) const override;
};

}  // namespace tokenfab::routing
