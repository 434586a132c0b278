// FormatComparison (sim_report.h): old against new, same workload and seed.
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "tokenfab/base/check.h"
#include "tokenfab/sim/sim_report.h"

namespace tokenfab::sim {
namespace json = boost::json;
namespace {

struct SitePair {
  const SiteReport* old = nullptr;
  const SiteReport* now = nullptr;
};

std::map<std::string, SitePair> PairSites(const PolicyReport& old, const PolicyReport& now) {
  std::map<std::string, SitePair> sites;
  for (const SiteReport& s : old.sites) sites[s.site].old = &s;
  for (const SiteReport& s : now.sites) sites[s.site].now = &s;
  return sites;
}

double Compute(const SiteReport* s) { return s ? s->compute_utilisation : 0; }
double Kv(const SiteReport* s) { return s ? s->kv_utilisation : 0; }

json::object Difference(const PolicyReport& old, const PolicyReport& now) {
  json::object tiers, utilisation;
  for (const TierReport& o : old.tiers) {
    for (const TierReport& n : now.tiers) {
      if (n.tier == o.tier) tiers[o.tier] = n.slo_attainment - o.slo_attainment;
    }
  }
  for (const auto& [name, pair] : PairSites(old, now)) {
    utilisation[name] = {{"compute", Compute(pair.now) - Compute(pair.old)},
                         {"kv", Kv(pair.now) - Kv(pair.old)}};
  }
  return {{"policy", now.policy},
          {"goodput_rps", now.all.goodput_rps - old.all.goodput_rps},
          {"slo_attainment", now.all.slo_attainment - old.all.slo_attainment},
          {"slo_attainment_by_tier", std::move(tiers)},
          {"utilisation", std::move(utilisation)},
          {"tokens_per_s", now.tokens_per_s - old.tokens_per_s},
          {"energy_cost", now.energy_cost - old.energy_cost},
          {"energy_cost_per_mtok", now.energy_cost_per_mtok - old.energy_cost_per_mtok}};
}

void Line(std::string& out, const std::string& label, double old, double now, int digits) {
  out += fmt::format("  {:<36} {:>14.{}f} {:>14.{}f} {:>+14.{}f}\n", label, old, digits, now,
                     digits, now - old, digits);
}

std::string Table(const PolicyReport& old, const PolicyReport& now) {
  std::string out = fmt::format("policy {}\n  {:<36} {:>14} {:>14} {:>14}\n", now.policy, "", "old",
                                "new", "new - old");
  Line(out, "goodput req/s", old.all.goodput_rps, now.all.goodput_rps, 3);
  Line(out, "SLO attainment", old.all.slo_attainment, now.all.slo_attainment, 4);
  for (const TierReport& o : old.tiers) {
    for (const TierReport& n : now.tiers) {
      if (n.tier == o.tier)
        Line(out, o.tier + " SLO attainment", o.slo_attainment, n.slo_attainment, 4);
    }
  }
  Line(out, "TTFT p90 ms", old.all.ttft_ms.p90, now.all.ttft_ms.p90, 1);
  Line(out, "TPOT p90 ms", old.all.tpot_ms.p90, now.all.tpot_ms.p90, 1);
  for (const auto& [name, pair] : PairSites(old, now)) {
    Line(out, name + " compute utilisation", Compute(pair.old), Compute(pair.now), 3);
    Line(out, name + " KV utilisation", Kv(pair.old), Kv(pair.now), 3);
  }
  Line(out, "tokens/s", old.tokens_per_s, now.tokens_per_s, 0);
  Line(out, "energy cost (" + now.currency + ")", old.energy_cost, now.energy_cost, 4);
  Line(out, "energy cost / M tokens", old.energy_cost_per_mtok, now.energy_cost_per_mtok, 5);
  return out;
}

}  // namespace

std::string FormatComparison(const std::vector<PolicyReport>& old,
                             const std::vector<PolicyReport>& now, bool as_json) {
  TF_CHECK(old.size() == now.size());
  if (!as_json) {
    std::string out;
    for (size_t i = 0; i < old.size(); ++i) out += Table(old[i], now[i]);
    return out;
  }
  json::array difference;
  for (size_t i = 0; i < old.size(); ++i) difference.push_back(Difference(old[i], now[i]));
  json::object root = {{"old", json::parse(FormatJson(old))},
                       {"new", json::parse(FormatJson(now))},
                       {"difference", std::move(difference)}};
  return json::serialize(root) + "\n";
}

}  // namespace tokenfab::sim
