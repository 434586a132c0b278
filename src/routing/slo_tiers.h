// The SLO split shared by cost-slo and green-first: which candidates meet the request's SLO, and
// the score of those that miss it (least predicted TTFT over theirs, so the fallback misses by
// least). The soft "slo" filter moves the misses behind the rest with the same test.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/policy_options.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/rank_context.h"

namespace tokenfab::routing::internal {

// Returns meets[i] for candidates[i]; writes scores[i] for every candidate that misses. The
// caller scores the ones that meet it.
std::vector<bool> ScoreSloMisses(RankContext& context, std::span<const Candidate> candidates,
                                 const SloOptions& options, std::span<double> scores);

// The plugin of an SLO-ranked policy: `make_scorer(options)` and the soft "slo" filter.
// InvalidArgument naming `policy` when options.slo_headroom is not positive.
[[nodiscard]] StatusOr<PolicyPlugin> SloPlugin(
    std::string_view policy, const SloOptions& options,
    const std::function<std::unique_ptr<Scorer>(const SloOptions&)>& make_scorer);

// "ttft 41 ms <= 800" (or without the comparison when the request has no TTFT SLO).
std::string ExplainTtft(RankContext& context, uint32_t upstream, const SloOptions& options);

}  // namespace tokenfab::routing::internal
