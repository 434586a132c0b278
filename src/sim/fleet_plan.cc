#include "tokenfab/sim/fleet_plan.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <fmt/format.h>
#include <boost/json.hpp>

namespace tokenfab::sim {
namespace {

namespace json = boost::json;

constexpr double kSecondsPerDay = 86400;

bool Matches(const PlanGroupBounds& bounds, const PlanGroup& group) {
  return bounds.site == group.site &&
         (bounds.hardware.empty() || bounds.hardware == group.hardware);
}

Status ApplyBounds(const SimWorkloadSpec& spec, std::vector<PlanGroup>& groups) {
  for (PlanGroup& group : groups) {
    const int32_t count = static_cast<int32_t>(group.upstreams.size());
    group.max = static_cast<int32_t>(std::ceil(count * spec.plan.max_factor));
    group.node_cost_per_hour = spec.plan.node_cost_per_hour;
  }
  for (const PlanGroupBounds& bounds : spec.plan.groups) {
    bool found = false;
    for (PlanGroup& group : groups) {
      if (!Matches(bounds, group)) continue;
      found = true;
      group.min = bounds.min;
      if (bounds.max >= 0) group.max = bounds.max;
      if (bounds.node_cost_per_hour >= 0) group.node_cost_per_hour = bounds.node_cost_per_hour;
      group.max = std::max(group.max, group.min);
    }
    if (!found) {
      return absl::InvalidArgumentError(fmt::format(
          "plan.groups: no upstream serving {} at site \"{}\"{}", spec.model, bounds.site,
          bounds.hardware.empty() ? "" : " with hardware \"" + bounds.hardware + "\""));
    }
  }
  return absl::OkStatus();
}

// Scaled to a day: the simulated span's energy and tokens, the nodes' capital.
PlanEvaluation Evaluate(const PolicyReport& report, const std::vector<PlanGroup>& groups,
                        std::vector<int32_t> counts, double target) {
  PlanEvaluation e;
  e.counts = std::move(counts);
  e.report = report;
  e.attainment = report.all.slo_attainment;
  e.meets = e.attainment >= target;
  if (report.sim_s > 0) e.energy_cost_per_day = report.energy_cost * kSecondsPerDay / report.sim_s;
  for (size_t g = 0; g < groups.size(); ++g) {
    e.capital_cost_per_day += e.counts[g] * groups[g].node_cost_per_hour * 24;
  }
  e.cost_per_day = e.energy_cost_per_day + e.capital_cost_per_day;
  const double mtok_per_day = report.tokens_per_s * kSecondsPerDay / 1e6;
  if (mtok_per_day > 0) e.cost_per_mtok = e.cost_per_day / mtok_per_day;
  return e;
}

class Searcher {
 public:
  Searcher(const fleet::FleetConfig& config, const SimWorkloadSpec& spec,
           const std::vector<SimRequest>& requests, const FleetPlanOptions& options,
           const std::vector<PlanGroup>& groups)
      : config_(config), spec_(spec), requests_(requests), options_(options), groups_(groups) {}

  // The memoised evaluation of `counts`; null for the empty fleet.
  StatusOr<const PlanEvaluation*> Get(const std::vector<int32_t>& counts) {
    auto it = cache_.find(counts);
    if (it != cache_.end()) return &it->second;
    int64_t total = 0;
    for (int32_t c : counts) total += c;
    if (total == 0) return nullptr;
    SimWorkloadSpec spec = spec_;
    TF_ASSIGN_OR_RETURN(std::shared_ptr<const fleet::FleetConfig> fleet,
                        FleetWithCounts(config_, groups_, counts, &spec));
    TF_ASSIGN_OR_RETURN(std::unique_ptr<Simulation> simulation,
                        Simulation::Create(fleet, spec, requests_, options_.sim));
    const SimResult result = simulation->Run();
    PlanEvaluation e =
        Evaluate(Summarize(result, *fleet, spec), groups_, counts, options_.slo_attainment);
    return &cache_.emplace(counts, std::move(e)).first->second;
  }

  // The cheapest plan one move from `from` that meets the target and costs less; null if none.
  StatusOr<const PlanEvaluation*> BestMove(const PlanEvaluation& from, bool swaps) {
    const PlanEvaluation* best = nullptr;
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (from.counts[g] <= groups_[g].min) continue;
      for (size_t h = 0; h < (swaps ? groups_.size() : 1); ++h) {
        if (swaps && (h == g || from.counts[h] >= groups_[h].max)) continue;
        std::vector<int32_t> counts = from.counts;
        --counts[g];
        if (swaps) ++counts[h];
        TF_ASSIGN_OR_RETURN(const PlanEvaluation* e, Get(counts));
        if (e == nullptr || !e->meets || !(e->cost_per_day < from.cost_per_day)) continue;
        if (best == nullptr || e->cost_per_day < best->cost_per_day) best = e;
      }
    }
    return best;
  }

  int32_t evaluations() const { return static_cast<int32_t>(cache_.size()); }

 private:
  const fleet::FleetConfig& config_;
  const SimWorkloadSpec& spec_;
  const std::vector<SimRequest>& requests_;
  const FleetPlanOptions& options_;
  const std::vector<PlanGroup>& groups_;
  std::map<std::vector<int32_t>, PlanEvaluation> cache_;
};

// The first plan scaling every group up together that meets the target; null if none does.
StatusOr<const PlanEvaluation*> ScaleUp(Searcher& searcher, const std::vector<PlanGroup>& groups) {
  for (int32_t k = 1;; ++k) {
    std::vector<int32_t> counts;
    bool all_max = true;
    for (const PlanGroup& g : groups) {
      const double scaled = std::ceil(static_cast<double>(g.upstreams.size()) * k / 4.0);
      counts.push_back(std::clamp(static_cast<int32_t>(scaled), g.min, g.max));
      all_max = all_max && counts.back() == g.max;
    }
    TF_ASSIGN_OR_RETURN(const PlanEvaluation* e, searcher.Get(counts));
    if (e != nullptr && e->meets) return e;
    if (all_max) return nullptr;
  }
}

}  // namespace

StatusOr<std::vector<PlanGroup>> MakePlanGroups(const fleet::FleetConfig& config,
                                                const SimWorkloadSpec& spec) {
  std::vector<PlanGroup> groups;
  for (uint32_t index : config.UpstreamsServing(spec.model)) {
    const fleet::Upstream& up = config.upstreams()[index];
    auto it = std::find_if(groups.begin(), groups.end(), [&](const PlanGroup& g) {
      return g.site == up.site && g.hardware == up.hardware.model;
    });
    if (it == groups.end()) {
      PlanGroup group;
      group.site = up.site;
      group.hardware = up.hardware.model;
      groups.push_back(std::move(group));
      it = groups.end() - 1;
    }
    it->upstreams.push_back(index);
  }
  if (groups.empty()) {
    return absl::InvalidArgumentError(fmt::format("no upstream serves model {}", spec.model));
  }
  TF_RETURN_IF_ERROR(ApplyBounds(spec, groups));
  return groups;
}

StatusOr<std::shared_ptr<const fleet::FleetConfig>> FleetWithCounts(
    const fleet::FleetConfig& config, const std::vector<PlanGroup>& groups,
    const std::vector<int32_t>& counts, SimWorkloadSpec* spec) {
  fleet::FleetSpec fleet = config.spec();
  fleet.upstreams.clear();
  for (size_t g = 0; g < groups.size(); ++g) {
    const fleet::Upstream& first = config.upstreams()[groups[g].upstreams[0]];
    for (int32_t i = 0; i < counts[g]; ++i) {
      if (static_cast<size_t>(i) < groups[g].upstreams.size()) {
        fleet.upstreams.push_back(config.upstreams()[groups[g].upstreams[i]]);
        continue;
      }
      fleet::Upstream copy = first;
      copy.name = fmt::format("{}-plan{}", first.name, i);
      copy.url = first.url.WithPath(fmt::format("plan{}", i));  // the fleet wants unique URLs
      auto profile = spec->profiles.find(first.name);
      if (profile != spec->profiles.end()) spec->profiles[copy.name] = profile->second;
      fleet.upstreams.push_back(std::move(copy));
    }
  }
  if (fleet.upstreams.empty()) return absl::InvalidArgumentError("a plan with no nodes");
  TF_ASSIGN_OR_RETURN(fleet::FleetConfig planned, fleet::FleetConfig::Create(std::move(fleet)));
  std::erase_if(spec->events, [&](const TimelineEvent& e) {
    return !e.upstream.empty() && !planned.FindUpstream(e.upstream).has_value();
  });
  return std::make_shared<const fleet::FleetConfig>(std::move(planned));
}

StatusOr<FleetPlan> PlanFleet(const fleet::FleetConfig& config, const SimWorkloadSpec& spec,
                              const std::vector<SimRequest>& requests,
                              const FleetPlanOptions& options) {
  FleetPlan plan;
  plan.currency = config.currency();
  TF_ASSIGN_OR_RETURN(plan.groups, MakePlanGroups(config, spec));
  Searcher searcher(config, spec, requests, options, plan.groups);
  std::vector<int32_t> max;
  for (const PlanGroup& g : plan.groups) max.push_back(g.max);
  TF_ASSIGN_OR_RETURN(const PlanEvaluation* all_max, searcher.Get(max));
  if (all_max == nullptr) return absl::InvalidArgumentError("every group's max is 0");
  plan.all_max = *all_max;
  TF_ASSIGN_OR_RETURN(const PlanEvaluation* current, ScaleUp(searcher, plan.groups));
  plan.feasible = current != nullptr;
  if (!plan.feasible || (all_max->meets && all_max->cost_per_day < current->cost_per_day)) {
    current = all_max;
  }
  while (plan.feasible) {
    TF_ASSIGN_OR_RETURN(const PlanEvaluation* next, searcher.BestMove(*current, false));
    if (next == nullptr) {
      TF_ASSIGN_OR_RETURN(next, searcher.BestMove(*current, true));
    }
    if (next == nullptr) break;
    current = next;
  }
  plan.best = *current;
  plan.evaluations = searcher.evaluations();
  return plan;
}

std::string FormatPlan(const FleetPlan& plan, double target, bool json_out) {
  const PlanEvaluation& best = plan.best;
  int64_t max_nodes = 0;
  for (int32_t c : plan.all_max.counts) max_nodes += c;
  if (json_out) {
    json::array groups;
    for (size_t g = 0; g < plan.groups.size(); ++g) {
      const PlanGroup& group = plan.groups[g];
      groups.push_back({{"site", group.site},
                        {"hardware", group.hardware},
                        {"nodes", best.counts[g]},
                        {"min", group.min},
                        {"max", group.max}});
    }
    json::object utilisation;
    for (const SiteReport& s : best.report.sites) utilisation[s.site] = s.compute_utilisation;
    json::object out{{"feasible", plan.feasible},
                     {"slo_attainment_target", target},
                     {"evaluations", plan.evaluations},
                     {"plan", std::move(groups)},
                     {"cost_per_day", best.cost_per_day},
                     {"energy_cost_per_day", best.energy_cost_per_day},
                     {"capital_cost_per_day", best.capital_cost_per_day},
                     {"cost_per_mtok", best.cost_per_mtok},
                     {"currency", plan.currency},
                     {"attainment", best.attainment},
                     {"utilisation", std::move(utilisation)},
                     {"tokens_per_s", best.report.tokens_per_s},
                     {"all_max",
                      {{"nodes", max_nodes},
                       {"cost_per_day", plan.all_max.cost_per_day},
                       {"attainment", plan.all_max.attainment}}}};
    return json::serialize(out) + "\n";
  }
  std::string text = fmt::format("{} (target SLO attainment {:.3f}, {} fleets simulated)\n",
                                 plan.feasible ? "least-cost plan"
                                               : "NO plan meets the target; "
                                                 "all-max",
                                 target, plan.evaluations);
  text += fmt::format("{:<16} {:<24} {:>6} {:>10}\n", "site", "hardware", "nodes", "bounds");
  for (size_t g = 0; g < plan.groups.size(); ++g) {
    const PlanGroup& group = plan.groups[g];
    text += fmt::format("{:<16} {:<24} {:>6} {:>10}\n", group.site, group.hardware, best.counts[g],
                        fmt::format("{}..{}", group.min, group.max));
  }
  text +=
      fmt::format("cost/day        {:.2f} {} (energy {:.2f}, capital {:.2f})\n", best.cost_per_day,
                  plan.currency, best.energy_cost_per_day, best.capital_cost_per_day);
  text += fmt::format("cost/Mtok       {:.4f} {}\n", best.cost_per_mtok, plan.currency);
  text += fmt::format("SLO attainment  {:.4f}\ntokens/s        {:.0f}\n", best.attainment,
                      best.report.tokens_per_s);
  for (const SiteReport& s : best.report.sites) {
    text += fmt::format("utilisation     {:<16} compute {:.1f} %  kv {:.1f} %\n", s.site,
                        100 * s.compute_utilisation, 100 * s.kv_utilisation);
  }
  text += fmt::format("all-max ({} nodes): cost/day {:.2f}, attainment {:.4f}\n", max_nodes,
                      plan.all_max.cost_per_day, plan.all_max.attainment);
  return text;
}

}  // namespace tokenfab::sim
