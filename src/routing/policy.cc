#include "tokenfab/routing/policy.h"

#include <algorithm>

#include <fmt/format.h>

#include "routing/load.h"
#include "tokenfab/base/check.h"

namespace tokenfab::routing {
namespace {

// A scored candidate while ranking.
struct Entry {
  uint32_t index;
  uint32_t position;  // in the candidate list (column of the score matrix)
  bool fallback;
  double score;
  double load;  // tie-break: requests per unit of weight
};

bool Better(const Entry& a, const Entry& b) {
  if (a.fallback != b.fallback) return !a.fallback;
  if (a.score != b.score) return a.score > b.score;
  if (a.load != b.load) return a.load < b.load;
  return a.index < b.index;
}

}  // namespace

Policy::Policy(std::string spec, std::vector<std::unique_ptr<Filter>> filters,
               std::vector<WeightedScorer> scorers, size_t max_ranked)
    : spec_(std::move(spec)),
      filters_(std::move(filters)),
      scorers_(std::move(scorers)),
      max_ranked_(max_ranked) {
  TF_CHECK(!scorers_.empty());
  TF_CHECK(max_ranked_ >= 1);
  for (const WeightedScorer& s : scorers_) {
    TF_CHECK(s.scorer != nullptr);
    TF_CHECK(s.weight > 0) << s.scorer->name() << " weight " << s.weight;
    weight_sum_ += s.weight;
    inputs_ |= s.scorer->inputs();
  }
}

RoutingDecision Policy::Rank(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot) {
  RankContext context(request, snapshot);
  const size_t total = snapshot.config().upstreams().size();
  std::vector<Candidate> candidates(total);
  for (uint32_t i = 0; i < total; ++i) candidates[i].index = i;
  std::vector<std::pair<std::string_view, size_t>> removed;
  for (const auto& filter : filters_) {
    const size_t before = candidates.size();
    filter->Apply(context, candidates);
    if (candidates.size() != before)
      removed.emplace_back(filter->name(), before - candidates.size());
  }
  RoutingDecision decision;
  if (candidates.empty()) {
    std::string why;
    for (const auto& [name, count] : removed) {
      fmt::format_to(std::back_inserter(why), " {} -{}", name, count);
    }
    decision.reason =
        fmt::format("no upstream for model \"{}\" of {}:{}", request.model, total, why);
    return decision;
  }

  const size_t n = candidates.size();
  std::vector<double> parts(n * scorers_.size());  // row s: scorer s's scores
  for (size_t s = 0; s < scorers_.size(); ++s) {
    scorers_[s].scorer->Score(context, candidates, std::span(parts).subspan(s * n, n));
  }
  std::vector<Entry> entries(n);
  for (uint32_t i = 0; i < n; ++i) {
    double sum = 0;
    for (size_t s = 0; s < scorers_.size(); ++s) sum += scorers_[s].weight * parts[s * n + i];
    entries[i] = Entry{candidates[i].index, i, candidates[i].fallback, sum / weight_sum_,
                       internal::WeightedLoad(snapshot, candidates[i].index)};
  }
  const size_t keep = std::min(max_ranked_, n);
  std::partial_sort(entries.begin(), entries.begin() + keep, entries.end(), Better);
  decision.ranked.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    decision.ranked.push_back({entries[i].index, entries[i].score, entries[i].fallback});
  }
  std::vector<double> best_parts(scorers_.size());
  for (size_t s = 0; s < scorers_.size(); ++s) best_parts[s] = parts[s * n + entries[0].position];
  decision.reason = Reason(context, candidates, decision.ranked[0], best_parts, removed);
  return decision;
}

std::string Policy::Reason(RankContext& context, std::span<const Candidate> candidates,
                           const RankedUpstream& best, std::span<const double> best_parts,
                           std::span<const std::pair<std::string_view, size_t>> removed) const {
  const fleet::FleetConfig& config = context.snapshot().config();
  std::string out = fmt::format("{} {}{:.3f} =", config.upstreams()[best.index].name,
                                best.fallback ? "(fallback) " : "", best.score);
  for (size_t s = 0; s < scorers_.size(); ++s) {
    const WeightedScorer& ws = scorers_[s];
    out += s == 0 ? " " : " + ";
    out += ws.scorer->name();
    if (ws.weight != 1) fmt::format_to(std::back_inserter(out), ":{}", ws.weight);
    fmt::format_to(std::back_inserter(out), " {:.2f}", best_parts[s]);
    std::string why = ws.scorer->Explain(context, candidates, best.index);
    if (!why.empty()) fmt::format_to(std::back_inserter(out), " ({})", why);
  }
  const size_t fallback = std::count_if(candidates.begin(), candidates.end(),
                                        [](const Candidate& c) { return c.fallback; });
  fmt::format_to(std::back_inserter(out), "; {} of {} upstreams", candidates.size(),
                 config.upstreams().size());
  if (fallback > 0) fmt::format_to(std::back_inserter(out), ", {} fallback", fallback);
  for (const auto& [name, count] : removed) {
    fmt::format_to(std::back_inserter(out), ", {} -{}", name, count);
  }
  return out;
}

void Policy::OnRouted(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot,
                      uint32_t upstream) {
  TF_CHECK_LT(upstream, snapshot.config().upstreams().size());
  for (const WeightedScorer& s : scorers_) s.scorer->OnRouted(request, snapshot, upstream);
}

RoutingDecision Policy::Route(const RoutingRequest& request, const fleet::FleetSnapshot& snapshot) {
  RoutingDecision decision = Rank(request, snapshot);
  if (!decision.empty()) OnRouted(request, snapshot, decision.ranked[0].index);
  return decision;
}

}  // namespace tokenfab::routing
