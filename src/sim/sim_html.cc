#include "tokenfab/sim/sim_html.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <utility>

#include <boost/json.hpp>

#include "tokenfab/base/check.h"
#include "tokenfab/gateway/chart_page.h"

namespace tokenfab::sim {
namespace {

namespace json = boost::json;

// Points kept per CDF line: enough for a smooth curve, few enough for a small page.
constexpr size_t kCdfPoints = 400;

// Values of completed requests of `tier` (all tiers when tier < 0), sorted.
std::vector<double> Sorted(const SimResult& result, int tier, bool tpot) {
  std::vector<double> values;
  for (const RequestOutcome& o : result.outcomes) {
    if (o.end != RequestOutcome::End::kCompleted) continue;
    if (tier >= 0 && o.tier != static_cast<uint32_t>(tier)) continue;
    if (tpot) {
      if (o.generated_tokens < 2) continue;
      values.push_back((o.end_us - o.first_token_us) / 1000.0 / (o.generated_tokens - 1));
    } else {
      values.push_back((o.first_token_us - o.arrival_us) / 1000.0);
    }
  }
  std::sort(values.begin(), values.end());
  return values;
}

json::array Strings(const std::vector<std::string>& names) {
  json::array out;
  for (const std::string& n : names) out.emplace_back(n);
  return out;
}

// A number, or null (a gap in the chart) where it is not finite: JSON has no NaN.
json::value Number(double v) { return std::isfinite(v) ? json::value(v) : json::value(nullptr); }

json::array Numbers(const std::vector<double>& values) {
  json::array out;
  for (double v : values) out.emplace_back(Number(v));
  return out;
}

// {"options": {...TF.lineChart options}, "data": [xs, ys...]}.
json::object Chart(json::object options, json::array data) {
  return {{"options", std::move(options)}, {"data", std::move(data)}};
}

// One CDF line per policy (x: latency in ms, y: fraction of requests at or below it). The lines
// are sampled at different xs; uPlot needs one x array, so each line is null where it has no
// point and the chart spans the gaps.
json::object Cdf(const std::string& title, const std::vector<std::string>& policies,
                 const std::vector<std::vector<double>>& series) {
  std::map<double, std::vector<std::optional<double>>> rows;  // x -> fraction per policy
  for (size_t p = 0; p < series.size(); ++p) {
    const std::vector<double>& s = series[p];
    const size_t step = std::max<size_t>(1, s.size() / kCdfPoints);
    for (size_t i = 0; i < s.size(); i += step) {
      auto& row = rows.try_emplace(s[i], series.size()).first->second;
      row[p] = static_cast<double>(i + 1) / static_cast<double>(s.size());
    }
    if (!s.empty()) rows.try_emplace(s.back(), series.size()).first->second[p] = 1.0;
  }
  json::array data(series.size() + 1, json::array());
  for (const auto& [x, fractions] : rows) {
    data[0].as_array().emplace_back(x);
    for (size_t p = 0; p < fractions.size(); ++p) {
      if (fractions[p]) {
        data[p + 1].as_array().emplace_back(*fractions[p]);
      } else {
        data[p + 1].as_array().emplace_back(nullptr);
      }
    }
  }
  return Chart({{"title", title},
                {"labels", Strings(policies)},
                {"unit", "of requests"},
                {"xLabel", "ms"},
                {"time", false},
                {"points", false},
                {"spanGaps", true}},
               std::move(data));
}

// One bar per policy.
json::object Bars(const std::string& title, const std::vector<PolicyReport>& reports,
                  const std::function<double(const PolicyReport&)>& value) {
  std::vector<std::string> policies;
  std::vector<double> xs, ys;
  for (const PolicyReport& r : reports) {
    xs.push_back(static_cast<double>(policies.size()));
    policies.push_back(r.policy);
    ys.push_back(value(r));
  }
  return Chart({{"title", title},
                {"labels", json::array{json::string(title)}},
                {"categories", Strings(policies)},
                {"bars", true}},
               {Numbers(xs), Numbers(ys)});
}

// Per site over time, for one policy: a plot per measure, a line per site.
json::array SiteSeries(const PolicyReport& report) {
  std::vector<std::string> sites;
  size_t buckets = 0;
  for (const SiteReport& site : report.sites) {
    sites.push_back(site.site);
    buckets = std::max(buckets, site.compute_series.size());
  }
  std::vector<double> xs;  // each bucket's centre
  for (size_t b = 0; b < buckets; ++b) {
    xs.push_back(report.series_interval_s * (static_cast<double>(b) + 0.5));
  }
  using Member = std::vector<double> SiteReport::*;
  const std::pair<const char*, Member> plots[] = {
      {"compute utilisation", &SiteReport::compute_series},
      {"KV utilisation", &SiteReport::kv_series},
      {"waiting requests", &SiteReport::queue_series},
      {"tokens/s", &SiteReport::tokens_per_s_series}};
  json::array charts;
  for (const auto& [title, member] : plots) {
    // Not `json::array data{Numbers(xs)}`: clang reads a braced list of one array as a copy of it.
    json::array data;
    data.emplace_back(Numbers(xs));
    for (const SiteReport& site : report.sites) {
      std::vector<double> ys = site.*member;
      ys.resize(buckets, 0.0);
      data.emplace_back(Numbers(ys));
    }
    charts.emplace_back(Chart(
        {{"title", title}, {"labels", Strings(sites)}, {"xLabel", "simulated s"}, {"time", false}},
        std::move(data)));
  }
  return charts;
}

json::object Section(const std::string& heading, json::array charts) {
  return {{"heading", heading}, {"charts", std::move(charts)}};
}

json::array LatencyCharts(const std::vector<PolicyReport>& reports,
                          const std::vector<SimResult>& results, const SimWorkloadSpec& spec) {
  std::vector<std::string> policies;
  for (const PolicyReport& r : reports) policies.push_back(r.policy);
  json::array charts;
  for (int tier = -1; tier < static_cast<int>(spec.tiers.size()); ++tier) {
    const std::string name =
        tier < 0 ? "all tiers" : spec.tiers[static_cast<size_t>(tier)].tier.name;
    std::vector<std::vector<double>> ttft, tpot;
    for (const SimResult& r : results) {
      ttft.push_back(Sorted(r, tier, false));
      tpot.push_back(Sorted(r, tier, true));
    }
    charts.emplace_back(Cdf("TTFT CDF, " + name, policies, ttft));
    charts.emplace_back(Cdf("TPOT CDF, " + name, policies, tpot));
  }
  return charts;
}

json::array PolicyCharts(const std::vector<PolicyReport>& reports) {
  json::array charts{
      Bars("goodput, requests/s", reports, [](const PolicyReport& r) { return r.all.goodput_rps; }),
      Bars("SLO attainment", reports, [](const PolicyReport& r) { return r.all.slo_attainment; }),
      Bars("energy cost per million tokens", reports,
           [](const PolicyReport& r) { return r.energy_cost_per_mtok; })};
  for (size_t s = 0; s < reports[0].sites.size(); ++s) {
    charts.emplace_back(
        Bars("compute utilisation, " + reports[0].sites[s].site, reports,
             [s](const PolicyReport& r) { return r.sites[s].compute_utilisation; }));
  }
  return charts;
}

}  // namespace

std::string FormatHtml(const std::vector<PolicyReport>& reports,
                       const std::vector<SimResult>& results, const SimWorkloadSpec& spec) {
  TF_CHECK(reports.size() == results.size());
  TF_CHECK(!reports.empty());
  json::array sections{Section("Latency per tier", LatencyCharts(reports, results, spec)),
                       Section("Policies", PolicyCharts(reports))};
  for (const PolicyReport& report : reports) {
    sections.emplace_back(Section("Sites over time, " + report.policy, SiteSeries(report)));
  }
  const json::object data{{"title", "tokenfab sim"},
                          {"table", FormatTable(reports)},
                          {"sections", std::move(sections)}};
  const std::string text = json::serialize(data);
  return gateway::ChartPageHtml(
      {.title = "tokenfab sim",
       .body_html = "<h1 id=\"title\"></h1>\n<pre id=\"table\"></pre>\n<div id=\"sections\"></div>",
       .data_json = text,
       .data_name = "SIM",
       .script = "sim_report.js"});
}

}  // namespace tokenfab::sim
