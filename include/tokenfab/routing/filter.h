// Filter: one step of a policy that removes upstreams which must not take a request (hard) or
// moves them behind the others (soft, Candidate::fallback).
#pragma once

#include <string_view>
#include <vector>

#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/rank_context.h"

namespace tokenfab::routing {

// Implementations are stateless: Apply is const and thread-safe (the RankContext it is given
// belongs to one call). No I/O, no clock.
class Filter {
 public:
  virtual ~Filter() = default;

  // Short name for reasons and logs: "model", "health", "residency", "slo".
  virtual std::string_view name() const = 0;

  // Removes candidates (keeping the order of the rest) or sets their `fallback` flag. Candidates
  // arrive in ascending index order, less those earlier filters removed.
  virtual void Apply(RankContext& context, std::vector<Candidate>& candidates) const = 0;
};

}  // namespace tokenfab::routing
