#include "routing/affinity.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "routing/load.h"

namespace tokenfab::routing::internal {

Balance CheckBalance(const fleet::FleetSnapshot& snapshot, std::span<const Candidate> candidates,
                     const AffinityOptions& options) {
  Balance b{std::numeric_limits<double>::infinity(), 0, false};
  for (const Candidate& c : candidates) {
    const double load = WeightedLoad(snapshot, c.index);
    b.min_load = std::min(b.min_load, load);
    b.max_load = std::max(b.max_load, load);
  }
  b.imbalanced = b.max_load - b.min_load > options.balance_abs_threshold &&
                 b.max_load > b.min_load * options.balance_rel_threshold;
  return b;
}

void ScoreMatches(std::span<const uint32_t> matched, size_t total, const AffinityOptions& options,
                  std::span<double> scores) {
  std::fill(scores.begin(), scores.end(), 0.0);
  if (total == 0 || matched.empty()) return;
  const uint32_t best = *std::max_element(matched.begin(), matched.end());
  if (static_cast<double>(best) / total < options.match_threshold) return;
  for (size_t i = 0; i < matched.size(); ++i) {
    scores[i] = static_cast<double>(matched[i]) / total;
  }
}

std::string ExplainAffinity(const Balance& balance, uint32_t matched, size_t total,
                            std::string_view verb) {
  if (balance.imbalanced) {
    return fmt::format("imbalanced {:.0f} vs {:.0f}: by load", balance.max_load, balance.min_load);
  }
  return fmt::format("{}/{} blocks {}", matched, total, verb);
}

}  // namespace tokenfab::routing::internal
