// SimReport's per-site time series (Summarize, FormatJson) from hand-made node series.
#include "tokenfab/sim/sim_report.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tokenfab/base/check.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "testing/example_fleet.h"

namespace tokenfab::sim {
namespace {

using testing::ExampleFleet;

NodeResult Node(uint32_t site, NodeSeries series) {
  NodeResult node;
  node.site = site;
  series.bucket_us = 1'000'000;
  node.series = std::move(series);
  return node;
}

// 1 s buckets over a 2.5 s run: the third bucket is 0.5 s long. Sites: hub-west with nodes A
// and B (B's series ends a bucket early), coast-east with none, edge-sg with node C.
//   hub-west compute: (0.5 + 1.0) / 2, (0 + 1.0) / 2, 0.25 s / (0.5 s x 2 nodes)
//   KV: (0.25 + 0.5) / 2, (0 + 1.0) / 2, 0; waiting: 1 + 0, 0 + 2, 0
//   tokens/s: (300 + 700) / 1 s, (0 + 1000) / 1 s, 50 / 0.5 s
TEST(SimReportTest, SiteSeriesSumTheirNodesOverEachBucketsLength) {
  SimResult result;
  result.end_us = 2'500'000;
  result.series_interval_us = 1'000'000;
  result.nodes = {
      Node(0, {.busy_us = {500'000, 0, 250'000},
               .kv_usage_us = {250'000, 0, 0},
               .waiting_us = {1'000'000, 0, 0},
               .tokens = {300, 0, 50}}),
      Node(0, {.busy_us = {1'000'000, 1'000'000},
               .kv_usage_us = {500'000, 1'000'000},
               .waiting_us = {0, 2'000'000},
               .tokens = {700, 1000}}),
      Node(2, {.busy_us = {0, 0, 500'000},
               .kv_usage_us = {0, 0, 0},
               .waiting_us = {0, 0, 0},
               .tokens = {0, 0, 40}}),
  };
  SimWorkloadSpec spec;
  spec.tiers = {DefaultTier()};
  const PolicyReport report = Summarize(result, *ExampleFleet(), spec);
  EXPECT_EQ(report.series_interval_s, 1.0);
  ASSERT_EQ(report.sites.size(), 3u);
  const SiteReport& hub = report.sites[0];
  EXPECT_EQ(hub.compute_series, (std::vector<double>{0.75, 0.5, 0.25}));
  EXPECT_EQ(hub.kv_series, (std::vector<double>{0.375, 0.5, 0}));
  EXPECT_EQ(hub.queue_series, (std::vector<double>{1, 2, 0}));
  EXPECT_EQ(hub.tokens_per_s_series, (std::vector<double>{1000, 1000, 100}));
  EXPECT_EQ(report.sites[1].compute_series, (std::vector<double>{0, 0, 0}));
  EXPECT_EQ(report.sites[2].compute_series, (std::vector<double>{0, 0, 1}));
  EXPECT_EQ(report.sites[2].tokens_per_s_series, (std::vector<double>{0, 0, 80}));

  const boost::json::value json = boost::json::parse(FormatJson({report}));
  const boost::json::value& policy = json.at("policies").at(0);
  EXPECT_EQ(policy.at("series_interval_s").as_double(), 1.0);
  const boost::json::value& series = policy.at("sites").at(0).at("series");
  EXPECT_EQ(series.at("compute").as_array().size(), 3u);
  EXPECT_EQ(series.at("compute").at(0).as_double(), 0.75);
  EXPECT_EQ(series.at("queue").at(1).as_double(), 2.0);
  EXPECT_EQ(series.at("tokens_per_s").at(2).as_double(), 100.0);
  EXPECT_EQ(series.at("kv").at(0).as_double(), 0.375);
}

}  // namespace
}  // namespace tokenfab::sim
