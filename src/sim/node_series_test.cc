#include "tokenfab/sim/node_series.h"

#include <gtest/gtest.h>

namespace tokenfab::sim {
namespace {

// A 600 µs step from 800 µs with 1 ms buckets: 200 µs in bucket 0, 400 µs in bucket 1.
TEST(NodeSeriesTest, AStepAcrossABucketBoundaryIsSplitByItsTimeInEach) {
  NodeSeries series;
  series.bucket_us = 1000;
  series.AddStep(800, 1400, 0.5, 3, 60);
  ASSERT_EQ(series.busy_us.size(), 2u);
  EXPECT_DOUBLE_EQ(series.busy_us[0], 200);
  EXPECT_DOUBLE_EQ(series.busy_us[1], 400);
  EXPECT_DOUBLE_EQ(series.kv_usage_us[0], 100);
  EXPECT_DOUBLE_EQ(series.kv_usage_us[1], 200);
  EXPECT_DOUBLE_EQ(series.waiting_us[0], 600);
  EXPECT_DOUBLE_EQ(series.waiting_us[1], 1200);
  EXPECT_DOUBLE_EQ(series.tokens[0], 20);
  EXPECT_DOUBLE_EQ(series.tokens[1], 40);
  // A later step ending exactly on a boundary stays in its bucket; skipped buckets are zero.
  series.AddStep(3500, 4000, 1.0, 0, 10);
  ASSERT_EQ(series.busy_us.size(), 4u);
  EXPECT_DOUBLE_EQ(series.busy_us[2], 0);
  EXPECT_DOUBLE_EQ(series.busy_us[3], 500);
  EXPECT_DOUBLE_EQ(series.tokens[3], 10);
}

TEST(NodeSeriesTest, NothingIsKeptWithoutABucketWidth) {
  NodeSeries series;
  series.AddStep(0, 1000, 1.0, 1, 1);
  EXPECT_TRUE(series.busy_us.empty());
}

}  // namespace
}  // namespace tokenfab::sim
