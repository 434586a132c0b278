// Cache-affinity scoring shared by prefix-affinity and kv-aware: the match threshold and the
// imbalance gate of AffinityOptions.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/policy_options.h"

namespace tokenfab::routing::internal {

// The candidates' loads (requests per unit of weight) and the imbalance gate's verdict.
struct Balance {
  double min_load;
  double max_load;
  bool imbalanced;
};

Balance CheckBalance(const fleet::FleetSnapshot& snapshot, std::span<const Candidate> candidates,
                     const AffinityOptions& options);

// scores[i] = matched[i] / total when the best share reaches the threshold, else 0 everywhere.
void ScoreMatches(std::span<const uint32_t> matched, size_t total, const AffinityOptions& options,
                  std::span<double> scores);

// "12/16 blocks <verb>", or "imbalanced 40 vs 2: by load" under the gate.
std::string ExplainAffinity(const Balance& balance, uint32_t matched, size_t total,
                            std::string_view verb);

}  // namespace tokenfab::routing::internal
