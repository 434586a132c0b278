#include "tokenfab/sim/sim_html.h"

#include <gtest/gtest.h>

namespace tokenfab::sim {
namespace {

TEST(SimHtmlTest, IsSelfContainedWithOnePlotLinePerPolicy) {
  SimWorkloadSpec spec;
  spec.tiers = {DefaultTier()};
  std::vector<SimResult> results(2);
  std::vector<PolicyReport> reports(2);
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 50; ++i) {
      RequestOutcome o;
      o.end = RequestOutcome::End::kCompleted;
      o.arrival_us = 0;
      o.first_token_us = 1000 * (i + 1) * (p + 1);
      o.end_us = o.first_token_us + 10'000;
      o.generated_tokens = 11;
      results[p].outcomes.push_back(o);
    }
    reports[p].policy = p == 0 ? "least-load" : "cost-slo<x>";
    SiteReport site;
    site.site = "hub";
    site.compute_utilisation = 0.5 * (p + 1);
    site.compute_series = site.kv_series = site.queue_series = {0.1, 0.5, 0.2};
    site.tokens_per_s_series = {100, 900, 300};
    reports[p].sites = {site};
    reports[p].series_interval_s = 10;
  }
  const std::string html = FormatHtml(reports, results, spec);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_NE(html.find("cost-slo&lt;x&gt;"), std::string::npos);  // names are escaped
  // TTFT and TPOT CDFs for "all tiers" and the one tier: 4 plots x 2 policies; the site over
  // time: 4 plots (compute, KV, queue, tokens/s) x 2 policies.
  size_t lines = 0;
  for (size_t at = html.find("<polyline"); at != std::string::npos;
       at = html.find("<polyline", at + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 16u);
  // Time axis: 3 buckets of 10 s; the tokens/s plot's scale is its peak x 1.05.
  EXPECT_NE(html.find(">30</text>"), std::string::npos);
  EXPECT_NE(html.find(">945</text>"), std::string::npos);
}

}  // namespace
}  // namespace tokenfab::sim
