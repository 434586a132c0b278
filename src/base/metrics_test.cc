#include "tokenfab/base/metrics.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::base {
namespace {

TEST(MetricsTest, WritesPrometheusTextFormat) {
  MetricsRegistry registry;
  registry.GetCounter("tokenfab:prompt_tokens_total", "Prompt tokens processed.",
                      {{"model", "demo"}})
      .Increment(12);
  registry.GetGauge("tokenfab:num_requests_running", "Requests running.").Set(3);
  Histogram& ttft = registry.GetHistogram("tokenfab:time_to_first_token_seconds",
                                          "Time to first token.", {0.1, 1.0});
  ttft.Observe(0.05);
  ttft.Observe(0.5);
  ttft.Observe(7);

  EXPECT_EQ(registry.WritePrometheusText(),
            "# HELP tokenfab:num_requests_running Requests running.\n"
            "# TYPE tokenfab:num_requests_running gauge\n"
            "tokenfab:num_requests_running 3\n"
            "# HELP tokenfab:prompt_tokens_total Prompt tokens processed.\n"
            "# TYPE tokenfab:prompt_tokens_total counter\n"
            "tokenfab:prompt_tokens_total{model=\"demo\"} 12\n"
            "# HELP tokenfab:time_to_first_token_seconds Time to first token.\n"
            "# TYPE tokenfab:time_to_first_token_seconds histogram\n"
            "tokenfab:time_to_first_token_seconds_bucket{le=\"0.1\"} 1\n"
            "tokenfab:time_to_first_token_seconds_bucket{le=\"1\"} 2\n"
            "tokenfab:time_to_first_token_seconds_bucket{le=\"+Inf\"} 3\n"
            "tokenfab:time_to_first_token_seconds_sum 7.55\n"
            "tokenfab:time_to_first_token_seconds_count 3\n");
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.GetCounter("x_total", "line one\nback\\slash", {{"path", "a\"b\\c\nd"}}).Increment();
  EXPECT_EQ(registry.WritePrometheusText(),
            "# HELP x_total line one\\nback\\\\slash\n"
            "# TYPE x_total counter\n"
            "x_total{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameMetric) {
  MetricsRegistry registry;
  Counter& a = registry.GetCounter("c_total", "help", {{"k", "v"}});
  Counter& b = registry.GetCounter("c_total", "help", {{"k", "v"}});
  Counter& other = registry.GetCounter("c_total", "help", {{"k", "w"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
}

TEST(MetricsTest, HistogramBoundsAreInclusive) {
  Histogram h({1.0, 2.0});
  h.Observe(1.0);
  h.Observe(2.0);
  h.Observe(2.5);
  EXPECT_EQ(h.BucketCount(0), 1u);
  EXPECT_EQ(h.BucketCount(1), 1u);
  EXPECT_EQ(h.BucketCount(2), 1u);
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry registry;
  Counter& counter = registry.GetCounter("n_total", "n");
  Histogram& histogram = registry.GetHistogram("h", "h", ExponentialBuckets(1, 2, 4));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10'000; ++i) {
        counter.Increment();
        histogram.Observe(3);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(counter.Value(), 40'000);
  EXPECT_EQ(histogram.Count(), 40'000u);
  EXPECT_EQ(histogram.Sum(), 120'000);
}

TEST(MetricsDeathTest, MisuseIsAProgrammingError) {
  MetricsRegistry registry;
  registry.GetCounter("m_total", "help");
  EXPECT_DEATH(registry.GetGauge("m_total", "help"), "another type");
  EXPECT_DEATH(registry.GetCounter("bad name", "help"), "bad metric name");
  EXPECT_DEATH(registry.GetCounter("ok_total", "help", {{"__x", "v"}}), "bad label name");
}

}  // namespace
}  // namespace tokenfab::base
