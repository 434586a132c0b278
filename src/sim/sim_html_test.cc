#include "tokenfab/sim/sim_html.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace tokenfab::sim {
namespace {

namespace json = boost::json;

// The report's data: the JSON the page sets as window.SIM.
json::object PageData(const std::string& html) {
  const std::string head = "window.SIM = ";
  const size_t begin = html.find(head);
  EXPECT_NE(begin, std::string::npos);
  if (begin == std::string::npos) return {};
  const size_t end = html.find(";</script>", begin);
  return json::parse(html.substr(begin + head.size(), end - begin - head.size())).as_object();
}

const json::array& Charts(const json::object& data, const std::string& heading) {
  for (const json::value& section : data.at("sections").as_array()) {
    if (section.at("heading").as_string() == heading) return section.at("charts").as_array();
  }
  ADD_FAILURE() << "no section " << heading;
  static const json::array kNone;
  return kNone;
}

std::vector<std::string> Titles(const json::array& charts) {
  std::vector<std::string> titles;
  for (const json::value& c : charts) {
    titles.emplace_back(c.at("options").at("title").as_string());
  }
  return titles;
}

class SimHtmlTest : public ::testing::Test {
 protected:
  // Two policies over one tier and one site; policy p's TTFT are (p + 1) x 1..50 ms.
  SimHtmlTest() : results_(2), reports_(2) {
    spec_.tiers = {DefaultTier()};
    for (int p = 0; p < 2; ++p) {
      for (int i = 0; i < 50; ++i) {
        RequestOutcome o;
        o.end = RequestOutcome::End::kCompleted;
        o.arrival_us = 0;
        o.first_token_us = 1000 * (i + 1) * (p + 1);
        o.end_us = o.first_token_us + 10'000;
        o.generated_tokens = 11;
        results_[p].outcomes.push_back(o);
      }
      reports_[p].policy = p == 0 ? "least-load" : "cost-slo</script><x>";
      SiteReport site;
      site.site = "hub";
      site.compute_utilisation = 0.5 * (p + 1);
      site.compute_series = site.kv_series = site.queue_series = {0.1, 0.5, 0.2};
      site.tokens_per_s_series = {100, 900, 300};
      reports_[p].sites = {site};
      reports_[p].series_interval_s = 10;
    }
  }

  SimWorkloadSpec spec_;
  std::vector<SimResult> results_;
  std::vector<PolicyReport> reports_;
};

TEST_F(SimHtmlTest, IsSelfContainedOnTheSharedChartCode) {
  const std::string html = FormatHtml(reports_, results_, spec_);
  EXPECT_EQ(html.find("src="), std::string::npos);  // no script or image from elsewhere
  for (size_t at = html.find("href="); at != std::string::npos; at = html.find("href=", at + 1)) {
    EXPECT_EQ(html.compare(at, 11, "href=\"data:"), 0) << html.substr(at, 40);
  }
  EXPECT_NE(html.find("uPlot"), std::string::npos);              // the library is inlined
  EXPECT_NE(html.find("global.TF = "), std::string::npos);       // and the shared chart helpers
  EXPECT_NE(html.find("= window.SIM;"), std::string::npos);      // and the report's script
  EXPECT_EQ(html.find("cost-slo</script>"), std::string::npos);  // names cannot close a script
}

TEST_F(SimHtmlTest, LatencyCdfsPerTierWithALinePerPolicy) {
  const json::object data = PageData(FormatHtml(reports_, results_, spec_));
  const json::array& charts = Charts(data, "Latency per tier");
  const std::string tier = spec_.tiers[0].tier.name;
  EXPECT_EQ(Titles(charts), (std::vector<std::string>{"TTFT CDF, all tiers", "TPOT CDF, all tiers",
                                                      "TTFT CDF, " + tier, "TPOT CDF, " + tier}));
  for (const json::value& c : charts) {
    EXPECT_EQ(c.at("options").at("labels").as_array().size(), 2u);
    EXPECT_EQ(c.at("data").as_array().size(), 3u);  // x and a line per policy
  }
  // TTFT, all tiers: xs are 1..50 and the even 52..100 ms; at 50 ms policy 0 has seen all its
  // requests and policy 1 half of them; policy 1 alone has a point at 100 ms.
  const json::array& ttft = charts[0].at("data").as_array();
  const json::array& xs = ttft[0].as_array();
  ASSERT_EQ(xs.size(), 75u);
  EXPECT_EQ(xs[49].to_number<double>(), 50.0);
  EXPECT_EQ(ttft[1].as_array()[49].to_number<double>(), 1.0);
  EXPECT_EQ(ttft[2].as_array()[49].to_number<double>(), 0.5);
  EXPECT_EQ(xs[74].to_number<double>(), 100.0);
  EXPECT_TRUE(ttft[1].as_array()[74].is_null());
  EXPECT_EQ(ttft[2].as_array()[74].to_number<double>(), 1.0);
}

TEST_F(SimHtmlTest, PolicyComparisonBars) {
  const json::object data = PageData(FormatHtml(reports_, results_, spec_));
  const json::array& charts = Charts(data, "Policies");
  EXPECT_EQ(Titles(charts), (std::vector<std::string>{"goodput, requests/s", "SLO attainment",
                                                      "energy cost per million tokens",
                                                      "compute utilisation, hub"}));
  for (const json::value& c : charts) {
    EXPECT_TRUE(c.at("options").at("bars").as_bool());
    EXPECT_EQ(c.at("options").at("categories"),
              (json::array{"least-load", "cost-slo</script><x>"}));
  }
  const json::array& utilisation = charts[3].at("data").as_array();
  EXPECT_EQ(utilisation[1], (json::array{0.5, 1.0}));
}

TEST_F(SimHtmlTest, SitesOverTimePerPolicy) {
  const json::object data = PageData(FormatHtml(reports_, results_, spec_));
  for (const PolicyReport& report : reports_) {
    const json::array& charts = Charts(data, "Sites over time, " + report.policy);
    EXPECT_EQ(Titles(charts), (std::vector<std::string>{"compute utilisation", "KV utilisation",
                                                        "waiting requests", "tokens/s"}));
    ASSERT_EQ(charts.size(), 4u);
    // Three buckets of 10 s, at their centres; a line per site.
    const json::array& tokens = charts[3].at("data").as_array();
    EXPECT_EQ(tokens[0], (json::array{5.0, 15.0, 25.0}));
    EXPECT_EQ(tokens[1], (json::array{100.0, 900.0, 300.0}));
    EXPECT_EQ(charts[3].at("options").at("labels"), json::array{"hub"});
  }
}

}  // namespace
}  // namespace tokenfab::sim
