// The "model" filter: keeps the upstreams that serve the requested model (or any model, "*").
#pragma once

#include "tokenfab/routing/filter.h"

namespace tokenfab::routing {

// Hard filter. Stateless; thread-safe.
class ModelFilter final : public Filter {
 public:
  std::string_view name() const override { return "model"; }
  void Apply(RankContext& context, std::vector<Candidate>& candidates) const override;
};

}  // namespace tokenfab::routing
