#include "tokenfab/sim/sim_report.h"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "tokenfab/bench/request_record.h"
#include "tokenfab/bench/stats.h"

namespace tokenfab::sim {
namespace json = boost::json;
namespace {

Percentiles Of(std::vector<double> values) {
  const bench::Summary s = bench::Summarize(std::move(values));
  return {s.count, s.p50, s.p90, s.p99};
}

// The outcome as the load generator would have recorded it.
bench::RequestRecord Record(const RequestOutcome& o) {
  bench::RequestRecord r;
  r.sent_us = o.arrival_us;
  r.first_token_us = o.first_token_us;
  r.last_token_us = o.end_us;
  r.end_us = o.end_us;
  r.completion_tokens = o.generated_tokens;
  r.prompt_tokens = o.prompt_tokens;
  if (o.end != RequestOutcome::End::kCompleted) r.error_kind = "other";
  return r;
}

struct TierAccumulator {
  TierReport report;
  std::vector<double> ttft, tpot, e2e;
  int64_t met = 0;
  int64_t tokens = 0;
  int64_t due_us = -1;  // a batch tier's deadline

  void Add(const RequestOutcome& o, const bench::SloOptions& slo) {
    ++report.requests;
    report.step_energy_cost += o.energy_cost;
    tokens += int64_t{o.prompt_tokens} + o.generated_tokens;
    if (o.end == RequestOutcome::End::kRejected) ++report.rejected;
    if (o.end != RequestOutcome::End::kCompleted) {
      if (o.end != RequestOutcome::End::kRejected) ++report.failed;
      return;
    }
    ++report.completed;
    if (due_us >= 0 && o.end_us <= due_us) ++report.within_window;
    const bench::RequestRecord r = Record(o);
    ttft.push_back(r.TtftMs());
    e2e.push_back(r.E2eMs());
    if (o.generated_tokens > 1) tpot.push_back(r.TpotMs());
    if (bench::MeetsSlo(r, slo)) ++met;
  }
  TierReport Finish(double window_s) {
    report.ttft_ms = Of(std::move(ttft));
    report.tpot_ms = Of(std::move(tpot));
    report.e2e_ms = Of(std::move(e2e));
    report.slo_attainment = report.requests > 0 ? static_cast<double>(met) / report.requests : 0;
    report.goodput_rps = static_cast<double>(met) / window_s;
    report.energy_cost_per_mtok =
        tokens > 0 ? report.step_energy_cost / (static_cast<double>(tokens) / 1e6) : 0;
    return report;
  }
};

void SummarizeSites(const SimResult& result, const fleet::FleetConfig& config,
                    PolicyReport& report) {
  const double span_us = std::max<double>(1.0, static_cast<double>(result.end_us));
  std::vector<int32_t> nodes(config.sites().size(), 0);
  report.sites.resize(config.sites().size());
  for (size_t s = 0; s < config.sites().size(); ++s) report.sites[s].site = config.sites()[s].name;
  for (const NodeResult& node : result.nodes) {
    SiteReport& site = report.sites[node.site];
    ++nodes[node.site];
    site.compute_utilisation += static_cast<double>(node.busy_us) / span_us;
    site.kv_utilisation += node.kv_usage_us / span_us;
    site.tokens_per_s +=
        static_cast<double>(node.prompt_tokens + node.generated_tokens) / (span_us / 1e6);
    site.kwh += node.facility_wh / 1000.0;
    site.energy_cost += node.cost;
    report.prompt_tokens += node.prompt_tokens;
    report.cached_tokens += node.cached_tokens;
    report.generated_tokens += node.generated_tokens;
    report.kwh += node.facility_wh / 1000.0;
    report.energy_cost += node.cost;
    report.co2_g += node.co2_g;
  }
  for (size_t s = 0; s < report.sites.size(); ++s) {
    if (nodes[s] == 0) continue;
    report.sites[s].compute_utilisation /= nodes[s];
    report.sites[s].kv_utilisation /= nodes[s];
  }
}

// Each site's series: its nodes' buckets summed, over the bucket's length (the last one ends
// with the run) and, for utilisation, its node count.
void SummarizeSeries(const SimResult& result, PolicyReport& report) {
  const int64_t bucket = result.series_interval_us;
  report.series_interval_s = static_cast<double>(bucket) / 1e6;
  if (bucket <= 0 || result.end_us <= 0) return;
  const auto buckets = static_cast<size_t>((result.end_us + bucket - 1) / bucket);
  std::vector<int32_t> nodes(report.sites.size(), 0);
  for (SiteReport& site : report.sites) {
    for (auto* series :
         {&site.compute_series, &site.kv_series, &site.queue_series, &site.tokens_per_s_series}) {
      series->assign(buckets, 0.0);
    }
  }
  for (const NodeResult& node : result.nodes) {
    SiteReport& site = report.sites[node.site];
    ++nodes[node.site];
    const size_t n = std::min(buckets, node.series.busy_us.size());
    for (size_t b = 0; b < n; ++b) {
      site.compute_series[b] += node.series.busy_us[b];
      site.kv_series[b] += node.series.kv_usage_us[b];
      site.queue_series[b] += node.series.waiting_us[b];
      site.tokens_per_s_series[b] += node.series.tokens[b];
    }
  }
  for (size_t s = 0; s < report.sites.size(); ++s) {
    SiteReport& site = report.sites[s];
    for (size_t b = 0; b < buckets; ++b) {
      const auto start = static_cast<int64_t>(b) * bucket;
      const auto width = static_cast<double>(std::min(bucket, result.end_us - start));
      const double node_us = width * std::max(1, nodes[s]);
      site.compute_series[b] /= node_us;
      site.kv_series[b] /= node_us;
      site.queue_series[b] /= width;
      site.tokens_per_s_series[b] /= width / 1e6;
    }
  }
}

json::object PercentilesJson(const Percentiles& p) {
  return {{"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}};
}

json::array Array(const std::vector<double>& values) {
  return json::array(values.begin(), values.end());
}

json::object TierJson(const TierReport& t) {
  return {{"tier", t.tier},
          {"requests", t.requests},
          {"completed", t.completed},
          {"rejected", t.rejected},
          {"failed", t.failed},
          {"ttft_ms", PercentilesJson(t.ttft_ms)},
          {"tpot_ms", PercentilesJson(t.tpot_ms)},
          {"e2e_ms", PercentilesJson(t.e2e_ms)},
          {"slo_attainment", t.slo_attainment},
          {"goodput_rps", t.goodput_rps},
          {"energy_cost_per_mtok", t.energy_cost_per_mtok},
          {"within_window",
           t.within_window >= 0 ? json::value(t.within_window) : json::value(nullptr)}};
}

json::object PolicyJson(const PolicyReport& r) {
  json::object utilisation;
  json::array sites, tiers;
  for (const SiteReport& s : r.sites) {
    utilisation[s.site] = {{"compute", s.compute_utilisation}, {"kv", s.kv_utilisation}};
    sites.push_back({{"site", s.site},
                     {"compute_utilisation", s.compute_utilisation},
                     {"kv_utilisation", s.kv_utilisation},
                     {"tokens_per_s", s.tokens_per_s},
                     {"kwh", s.kwh},
                     {"energy_cost", s.energy_cost},
                     {"series",
                      {{"compute", Array(s.compute_series)},
                       {"kv", Array(s.kv_series)},
                       {"queue", Array(s.queue_series)},
                       {"tokens_per_s", Array(s.tokens_per_s_series)}}}});
  }
  for (const TierReport& t : r.tiers) tiers.push_back(TierJson(t));
  json::object totals = {{"requests", r.all.requests},
                         {"completed", r.all.completed},
                         {"prompt_tokens", r.prompt_tokens},
                         {"cached_tokens", r.cached_tokens},
                         {"completion_tokens", r.generated_tokens},
                         {"sim_s", r.sim_s},
                         {"kwh", r.kwh},
                         {"energy_cost", r.energy_cost},
                         {"currency", r.currency},
                         {"co2_g", r.co2_g}};
  return {{"policy", r.policy},
          {"ttft_ms", PercentilesJson(r.all.ttft_ms)},
          {"tpot_ms", PercentilesJson(r.all.tpot_ms)},
          {"e2e_ms", PercentilesJson(r.all.e2e_ms)},
          {"goodput_rps", r.all.goodput_rps},
          {"slo_attainment", r.all.slo_attainment},
          {"energy_cost_per_mtok", r.energy_cost_per_mtok},
          {"utilisation", std::move(utilisation)},
          {"tokens_per_s", r.tokens_per_s},
          {"tiers", std::move(tiers)},
          {"sites", std::move(sites)},
          {"series_interval_s", r.series_interval_s},
          {"totals", std::move(totals)}};
}

}  // namespace

PolicyReport Summarize(const SimResult& result, const fleet::FleetConfig& config,
                       const SimWorkloadSpec& spec) {
  PolicyReport report;
  report.policy = result.policy;
  report.currency = config.currency();
  std::vector<TierAccumulator> tiers(spec.tiers.size());
  TierAccumulator all;
  all.report.tier = "all";
  for (size_t t = 0; t < spec.tiers.size(); ++t) {
    const TierMix& mix = spec.tiers[t];
    tiers[t].report.tier = mix.tier.name;
    if (mix.batch()) {
      tiers[t].due_us = static_cast<int64_t>((mix.submit_s + mix.window_s) * 1e6);
      tiers[t].report.within_window = 0;
    }
  }
  for (const RequestOutcome& o : result.outcomes) {
    const ledger::Tier& tier = spec.tiers[o.tier].tier;
    const bench::SloOptions slo{static_cast<double>(tier.ttft_slo_ms),
                                static_cast<double>(tier.tpot_slo_ms)};
    tiers[o.tier].Add(o, slo);
    if (!spec.tiers[o.tier].batch()) all.Add(o, slo);
  }
  const double window_s = std::max(1e-6, result.window_s);
  for (TierAccumulator& t : tiers) report.tiers.push_back(t.Finish(window_s));
  report.all = all.Finish(window_s);
  SummarizeSites(result, config, report);
  SummarizeSeries(result, report);
  report.sim_s = static_cast<double>(result.end_us) / 1e6;
  const double tokens = static_cast<double>(report.prompt_tokens + report.generated_tokens);
  report.tokens_per_s = report.sim_s > 0 ? tokens / report.sim_s : 0;
  report.energy_cost_per_mtok = tokens > 0 ? report.energy_cost / (tokens / 1e6) : 0;
  report.events = result.events;
  report.wall_s = result.wall_s;
  return report;
}

std::string FormatJson(const std::vector<PolicyReport>& reports) {
  json::array policies;
  uint64_t events = 0;
  double wall_s = 0, sim_s = 0;
  for (const PolicyReport& r : reports) {
    policies.push_back(PolicyJson(r));
    events += r.events;
    wall_s += r.wall_s;
    sim_s += r.sim_s;
  }
  wall_s = std::max(wall_s, 1e-9);
  json::object root = {{"policies", std::move(policies)},
                       {"events_per_s", static_cast<double>(events) / wall_s},
                       {"sim_seconds_per_wall_second", sim_s / wall_s}};
  return json::serialize(root) + "\n";
}

}  // namespace tokenfab::sim
