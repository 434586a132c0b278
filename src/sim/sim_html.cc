#include "tokenfab/sim/sim_html.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <utility>

#include <fmt/format.h>

#include "tokenfab/base/check.h"

namespace tokenfab::sim {
namespace {

constexpr const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                    "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"};
constexpr int kWidth = 520, kHeight = 260, kLeft = 56, kBottom = 36, kTop = 24;

std::string Escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else {
      out += c;
    }
  }
  return out;
}

const char* Colour(size_t i) { return kColours[i % std::size(kColours)]; }

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

std::string Frame(const std::string& title, const std::string& x_label, double x_max) {
  std::string svg = fmt::format(
      "<svg width=\"{}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n<text x=\"{}\" y=\"14\" "
      "font-weight=\"bold\">{}</text>\n<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
      "fill=\"none\" stroke=\"#999\"/>\n",
      kWidth, kHeight, kLeft, Escape(title), kLeft, kTop, kWidth - kLeft - 10,
      kHeight - kTop - kBottom);
  for (int i = 0; i <= 4; ++i) {
    const double x = kLeft + (kWidth - kLeft - 10) * i / 4.0;
    svg += fmt::format("<text x=\"{:.0f}\" y=\"{}\" text-anchor=\"middle\">{:.3g}</text>\n", x,
                       kHeight - kBottom + 14, x_max * i / 4.0);
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                     (kWidth + kLeft) / 2, kHeight - 4, Escape(x_label));
  return svg;
}

// One CDF line per policy.
std::string Cdf(const std::string& title, const std::string& x_label,
                const std::vector<std::vector<double>>& series) {
  double x_max = 0;
  for (const auto& s : series) {
    if (!s.empty()) x_max = std::max(x_max, s[static_cast<size_t>(0.99 * (s.size() - 1))]);
  }
  x_max = x_max > 0 ? x_max * 1.05 : 1;
  std::string svg = Frame(title, x_label, x_max);
  const double w = kWidth - kLeft - 10, h = kHeight - kTop - kBottom;
  for (size_t p = 0; p < series.size(); ++p) {
    const auto& s = series[p];
    if (s.empty()) continue;
    std::string points;
    const size_t step = std::max<size_t>(1, s.size() / 400);
    for (size_t i = 0; i < s.size(); i += step) {
      const double x = kLeft + w * std::min(1.0, s[i] / x_max);
      const double y = kTop + h * (1.0 - static_cast<double>(i + 1) / s.size());
      points += fmt::format("{:.1f},{:.1f} ", x, y);
    }
    svg +=
        fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
                    Colour(p), points);
  }
  return svg + "</svg>\n";
}

// Lines over time, one per series (values by bucket of `interval_s`), with the y scale.
std::string Lines(const std::string& title, double interval_s,
                  const std::vector<const std::vector<double>*>& series) {
  size_t buckets = 1;
  double y_max = 0;
  for (const std::vector<double>* s : series) {
    buckets = std::max(buckets, s->size());
    for (double v : *s) y_max = std::max(y_max, v);
  }
  y_max = y_max > 0 ? y_max * 1.05 : 1;
  std::string svg = Frame(title, "simulated s", interval_s * static_cast<double>(buckets));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{:.3g}</text>\n", kLeft - 4,
                     kTop + 8, y_max);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>\n", kLeft - 4,
                     kHeight - kBottom);
  const double w = kWidth - kLeft - 10, h = kHeight - kTop - kBottom;
  for (size_t i = 0; i < series.size(); ++i) {
    std::string points;
    for (size_t b = 0; b < series[i]->size(); ++b) {
      const double x = kLeft + w * (static_cast<double>(b) + 0.5) / static_cast<double>(buckets);
      points += fmt::format("{:.1f},{:.1f} ", x, kTop + h * (1.0 - (*series[i])[b] / y_max));
    }
    svg +=
        fmt::format("<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" points=\"{}\"/>\n",
                    Colour(i), points);
  }
  return svg + "</svg>\n";
}

// Per site over time, for one policy: a plot per measure, a line per site.
std::string SiteSeries(const PolicyReport& report) {
  std::string html = "<h3>" + Escape(report.policy) + "</h3>\n<p>";
  for (size_t s = 0; s < report.sites.size(); ++s) {
    html += fmt::format("<span style=\"color:{}\">&#9632;</span> {} &nbsp; ", Colour(s),
                        Escape(report.sites[s].site));
  }
  html += "</p>\n";
  using Member = std::vector<double> SiteReport::*;
  const std::pair<const char*, Member> plots[] = {
      {"compute utilisation", &SiteReport::compute_series},
      {"KV utilisation", &SiteReport::kv_series},
      {"waiting requests", &SiteReport::queue_series},
      {"tokens/s", &SiteReport::tokens_per_s_series}};
  for (const auto& [title, member] : plots) {
    std::vector<const std::vector<double>*> series;
    for (const SiteReport& site : report.sites) series.push_back(&(site.*member));
    html += Lines(title, report.series_interval_s, series);
  }
  return html;
}

// One bar per policy.
std::string Bars(const std::string& title, const std::vector<PolicyReport>& reports,
                 const std::function<double(const PolicyReport&)>& value) {
  double v_max = 0;
  for (const PolicyReport& r : reports) v_max = std::max(v_max, value(r));
  v_max = v_max > 0 ? v_max * 1.1 : 1;
  std::string svg = Frame(title, "", v_max);
  const double w = kWidth - kLeft - 10, h = kHeight - kTop - kBottom;
  const double bar = h / std::max<size_t>(1, reports.size());
  for (size_t p = 0; p < reports.size(); ++p) {
    const double v = value(reports[p]);
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"/>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\">{:.4g}</text>\n",
        kLeft, kTop + p * bar + 2, w * v / v_max, bar - 4, Colour(p), kLeft + w * v / v_max + 3,
        kTop + p * bar + bar / 2 + 4, v);
  }
  return svg + "</svg>\n";
}

std::string Legend(const std::vector<PolicyReport>& reports) {
  std::string out = "<p>";
  for (size_t p = 0; p < reports.size(); ++p) {
    out += fmt::format("<span style=\"color:{}\">&#9632;</span> {} &nbsp; ", Colour(p),
                       Escape(reports[p].policy));
  }
  return out + "</p>\n";
}

}  // namespace

std::string FormatHtml(const std::vector<PolicyReport>& reports,
                       const std::vector<SimResult>& results, const SimWorkloadSpec& spec) {
  TF_CHECK(reports.size() == results.size());
  std::string html =
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tokenfab sim</title></head>\n"
      "<body style=\"font-family:sans-serif\">\n<h1>tokenfab sim</h1>\n";
  html += "<pre>" + Escape(FormatTable(reports)) + "</pre>\n" + Legend(reports);
  html += "<h2>Latency per tier</h2>\n";
  for (int tier = -1; tier < static_cast<int>(spec.tiers.size()); ++tier) {
    const std::string name =
        tier < 0 ? "all tiers" : spec.tiers[static_cast<size_t>(tier)].tier.name;
    std::vector<std::vector<double>> ttft, tpot;
    for (const SimResult& r : results) {
      ttft.push_back(Sorted(r, tier, false));
      tpot.push_back(Sorted(r, tier, true));
    }
    html += Cdf("TTFT CDF, " + name, "ms", ttft) + Cdf("TPOT CDF, " + name, "ms", tpot);
  }
  html += "<h2>Policies</h2>\n";
  html +=
      Bars("goodput, requests/s", reports, [](const PolicyReport& r) { return r.all.goodput_rps; });
  html +=
      Bars("SLO attainment", reports, [](const PolicyReport& r) { return r.all.slo_attainment; });
  html += Bars("energy cost per million tokens", reports,
               [](const PolicyReport& r) { return r.energy_cost_per_mtok; });
  html += "<h2>Utilisation per site (compute)</h2>\n";
  for (size_t s = 0; s < reports[0].sites.size(); ++s) {
    html += Bars(reports[0].sites[s].site, reports,
                 [s](const PolicyReport& r) { return r.sites[s].compute_utilisation; });
  }
  html += "<h2>Sites over time</h2>\n";
  for (const PolicyReport& report : reports) html += SiteSeries(report);
  return html + "</body></html>\n";
}

}  // namespace tokenfab::sim
