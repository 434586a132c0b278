// The output of a routing policy: upstreams ranked best first, and why.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tokenfab::routing {

// One upstream still in the running while a policy filters and scores. Plain data.
struct Candidate {
  uint32_t index = 0;     // into snapshot.config().upstreams()
  bool fallback = false;  // failed a soft filter: use only when no other candidate is left
};

// One ranked choice. Plain data.
struct RankedUpstream {
  uint32_t index = 0;     // into snapshot.config().upstreams()
  double score = 0;       // weighted score, [0, 1]; higher is better
  bool fallback = false;  // failed a soft filter (half-open circuit, predicted SLO miss)
};

// Plain data.
struct RoutingDecision {
  // Best first: every non-fallback candidate before any fallback one. The first is the choice,
  // the rest are failovers. Empty when no upstream may take the request.
  std::vector<RankedUpstream> ranked;
  // One line for logs, response headers and debugging: the choice, each scorer's part, and what
  // the filters removed.
  std::string reason;

  bool empty() const { return ranked.empty(); }
};

}  // namespace tokenfab::routing
