#include "routing/slo_tiers.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "routing/filters/slo_filter.h"

namespace tokenfab::routing::internal {

std::vector<bool> ScoreSloMisses(RankContext& context, std::span<const Candidate> candidates,
                                 const SloOptions& options, std::span<double> scores) {
  const SloTarget& slo = context.request().slo;
  std::vector<bool> meets(candidates.size());
  double fastest_miss = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < candidates.size(); ++i) {
    const UpstreamEstimate& e = context.Estimate(candidates[i].index);
    meets[i] = MeetsSlo(e, slo, options.slo_headroom);
    if (!meets[i]) fastest_miss = std::min(fastest_miss, e.ttft_ms);
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (meets[i]) continue;
    const double ttft = context.Estimate(candidates[i].index).ttft_ms;
    scores[i] = ttft > 0 ? fastest_miss / ttft : 1.0;
  }
  return meets;
}

StatusOr<PolicyPlugin> SloPlugin(
    std::string_view policy, const SloOptions& options,
    const std::function<std::unique_ptr<Scorer>(const SloOptions&)>& make_scorer) {
  if (!(options.slo_headroom > 0)) {
    return absl::InvalidArgumentError(
        fmt::format("{}: slo_headroom must be > 0, got {}", policy, options.slo_headroom));
  }
  PolicyPlugin plugin;
  plugin.scorer = make_scorer(options);
  plugin.filters.push_back(std::make_unique<SloFilter>(options));
  return plugin;
}

std::string ExplainTtft(RankContext& context, uint32_t upstream, const SloOptions& options) {
  const SloTarget& slo = context.request().slo;
  const UpstreamEstimate& e = context.Estimate(upstream);
  if (slo.ttft_ms <= 0) return fmt::format("ttft {:.0f} ms", e.ttft_ms);
  return fmt::format("ttft {:.0f} ms {} {:.0f}", e.ttft_ms,
                     MeetsSlo(e, slo, options.slo_headroom) ? "<=" : ">",
                     options.slo_headroom * slo.ttft_ms);
}

}  // namespace tokenfab::routing::internal
