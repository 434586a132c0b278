#include "tokenfab/engine/engine_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::engine {
namespace {

using ::testing::HasSubstr;

TEST(EngineMetricsTest, RegistersVllmNamesUnderTheTokenfabPrefix) {
  base::MetricsRegistry registry;
  EngineMetrics m(registry, {{"model", "demo"}});
  m.ObserveTimeToFirstToken(250'000);
  m.ObserveTimePerOutputToken(20'000);
  m.ObserveQueueTime(1'000);
  m.ObserveEndToEnd(2'000'000);
  m.SetRunning(3);
  m.SetWaiting(4);
  m.SetKvCacheUsage(0.5);
  m.CountPrefixLookup(100, 64);
  m.CountPreemptions(2);
  m.CountPromptTokens(100);
  m.CountGenerationTokens(7);
  m.CountFinished(FinishReason::kStop);
  m.CountFinished(FinishReason::kCancelled);
  const std::string text = registry.WritePrometheusText();
  for (const char* line : {
           "tokenfab:time_to_first_token_seconds_bucket{model=\"demo\",le=\"0.25\"} 1",
           "tokenfab:time_to_first_token_seconds_bucket{model=\"demo\",le=\"0.1\"} 0",
           "tokenfab:time_per_output_token_seconds_count{model=\"demo\"} 1",
           "tokenfab:request_queue_time_seconds_sum{model=\"demo\"} 0.001",
           "tokenfab:e2e_request_latency_seconds_sum{model=\"demo\"} 2",
           "tokenfab:num_requests_running{model=\"demo\"} 3",
           "tokenfab:num_requests_waiting{model=\"demo\"} 4",
           "tokenfab:kv_cache_usage_perc{model=\"demo\"} 0.5",
           "tokenfab:prefix_cache_queries_total{model=\"demo\"} 100",
           "tokenfab:prefix_cache_hits_total{model=\"demo\"} 64",
           "tokenfab:num_preemptions_total{model=\"demo\"} 2",
           "tokenfab:prompt_tokens_total{model=\"demo\"} 100",
           "tokenfab:generation_tokens_total{model=\"demo\"} 7",
           "tokenfab:request_success_total{model=\"demo\",finished_reason=\"stop\"} 1",
           "tokenfab:request_success_total{model=\"demo\",finished_reason=\"abort\"} 1",
           "tokenfab:request_success_total{model=\"demo\",finished_reason=\"length\"} 0",
       }) {
    EXPECT_THAT(text, HasSubstr(line));
  }
}

TEST(EngineMetricsTest, TwoEnginesShareFamiliesWithDifferentLabels) {
  base::MetricsRegistry registry;
  EngineMetrics a(registry, {{"model", "a"}});
  EngineMetrics b(registry, {{"model", "b"}});
  a.CountGenerationTokens(1);
  b.CountGenerationTokens(5);
  EXPECT_EQ(a.generation_tokens().Value(), 1);
  EXPECT_EQ(b.generation_tokens().Value(), 5);
}

}  // namespace
}  // namespace tokenfab::engine
