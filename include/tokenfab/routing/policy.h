// Policy: a composed routing policy. Filters first (hard ones remove upstreams, soft ones move
// them to the back), then weighted scorers; upstreams are ranked by the weighted mean score.
// Built by PolicyRegistry from a spec such as "cost-slo+prefix-affinity:0.5".
//
// A policy is a pure function of (request, snapshot) plus the learned state its scorers keep
// (rotation counter, random stream, prefix index): no I/O, no clock. The gateway and the
// simulator call the same objects.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/filter.h"
#include "tokenfab/routing/rank_context.h"
#include "tokenfab/routing/routing_request.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

struct WeightedScorer {
  std::unique_ptr<Scorer> scorer;
  double weight = 1;  // > 0
};

// Owns its filters and scorers. Thread-safe: Rank, OnRouted and Route may be called concurrently
// (filters are stateless; scorers synchronize their own state).
class Policy {
 public:
  // REQUIRES: !scorers.empty(); weights > 0; max_ranked >= 1.
  Policy(std::string spec, std::vector<std::unique_ptr<Filter>> filters,
         std::vector<WeightedScorer> scorers, size_t max_ranked);

  // The spec it was built from, normalized: "cost-slo+prefix-affinity:0.5".
  const std::string& spec() const { return spec_; }

  // What the caller must compute for Rank: what any of its scorers reads.
  const PolicyInputs& inputs() const { return inputs_; }

  // Ranks the upstreams that may take `request`. Order: non-fallback before fallback, then
  // higher score, then fewer requests per unit of weight, then lower index.
  RoutingDecision Rank(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot);

  // Tells the scorers that `request` was sent to upstream `upstream` (the choice, or a failover).
  void OnRouted(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot,
                uint32_t upstream);

  // Rank, then OnRouted with the first choice, if any.
  RoutingDecision Route(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot);

 private:
  // "hub-1 0.912 = cost-slo 1.00 (...) + prefix-affinity:0.5 0.80 (...); 3 of 5 upstreams,
  // health -1, model -1".
  std::string Reason(RankContext& context, std::span<const Candidate> candidates,
                     const RankedUpstream& best, std::span<const double> best_parts,
                     std::span<const std::pair<std::string_view, size_t>> removed) const;

  const std::string spec_;
  const std::vector<std::unique_ptr<Filter>> filters_;
  const std::vector<WeightedScorer> scorers_;
  const size_t max_ranked_;
  double weight_sum_ = 0;
  PolicyInputs inputs_;
};

}  // namespace tokenfab::routing
