#include "tokenfab/bench/stats.h"

#include <cmath>
#include <cstdio>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "tokenfab/base/clock.h"
#include "tokenfab/bench/progress.h"
#include "tokenfab/bench/report.h"

namespace tokenfab::bench {
namespace {

TEST(PercentileTest, LinearInterpolationBetweenClosestRanks) {
  const std::vector<double> values = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(Percentile(values, 0), 1);
  EXPECT_DOUBLE_EQ(Percentile(values, 50), 2.5);
  EXPECT_DOUBLE_EQ(Percentile(values, 90), 3.7);  // numpy.percentile([1,2,3,4], 90)
  EXPECT_DOUBLE_EQ(Percentile(values, 99), 3.97);
  EXPECT_DOUBLE_EQ(Percentile(values, 100), 4);
  EXPECT_DOUBLE_EQ(Percentile({7}, 99), 7);
}

TEST(SummaryTest, SkipsNaNsAndHandlesEmpty) {
  const Summary s = Summarize({300, NAN, 50, 100});
  EXPECT_EQ(s.count, 3);
  EXPECT_DOUBLE_EQ(s.mean, 150);
  EXPECT_DOUBLE_EQ(s.min, 50);
  EXPECT_DOUBLE_EQ(s.p50, 100);
  EXPECT_DOUBLE_EQ(s.p90, 260);
  EXPECT_DOUBLE_EQ(s.p99, 296);
  EXPECT_DOUBLE_EQ(s.max, 300);
  EXPECT_EQ(Summarize({}).count, 0);
}

// Five requests with hand-computed metrics (times in µs).
std::vector<RequestRecord> Records() {
  std::vector<RequestRecord> records(5);
  RequestRecord& r0 = records[0];  // TTFT 100 ms, E2E 1000 ms, 10 tokens: TPOT 100 ms
  r0.sent_us = 0;
  r0.scheduled_us = 0;
  r0.first_token_us = 100'000;
  r0.end_us = 1'000'000;
  r0.completion_tokens = 10;
  r0.prompt_tokens = 100;
  r0.cached_tokens = 40;
  r0.content_chunks = 3;
  r0.itl_us = {400'000, 500'000};
  RequestRecord& r1 = records[1];  // TTFT 300 ms, E2E 550 ms, 6 tokens: TPOT 50 ms
  r1.scheduled_us = 900'000;       // held 100 ms by the concurrency cap
  r1.sent_us = 1'000'000;
  r1.first_token_us = 1'300'000;
  r1.end_us = 1'550'000;
  r1.completion_tokens = 6;
  r1.expected_input_tokens = 200;  // no usage for the prompt: the planned length counts
  r1.content_chunks = 6;
  r1.itl_us = {50'000};
  RequestRecord& r2 = records[2];  // TTFT 50 ms, one token (no TPOT), no usage at all
  r2.scheduled_us = r2.sent_us = 2'000'000;
  r2.first_token_us = 2'050'000;
  r2.end_us = 2'050'000;
  r2.content_chunks = 1;
  r2.prompt_tokens = 50;
  records[3].error_kind = "http_429";
  records[4].error_kind = "timeout";
  return records;
}

TEST(RequestRecordTest, DerivedMetrics) {
  const std::vector<RequestRecord> records = Records();
  EXPECT_DOUBLE_EQ(records[0].TtftMs(), 100);
  EXPECT_DOUBLE_EQ(records[0].E2eMs(), 1000);
  EXPECT_DOUBLE_EQ(records[0].TpotMs(), 100);  // (1000 − 100) / (10 − 1)
  EXPECT_DOUBLE_EQ(records[1].TpotMs(), 50);   // (550 − 300) / (6 − 1)
  EXPECT_DOUBLE_EQ(records[1].QueueDelayMs(), 100);
  EXPECT_TRUE(std::isnan(records[2].TpotMs()));
  EXPECT_EQ(records[2].OutputTokens(), 1);  // from chunks
}

TEST(SummarizeRunTest, ThroughputLatencyAndGoodput) {
  const BenchSummary s = SummarizeRun(Records(), 4.0, SloOptions{200, 60});
  EXPECT_EQ(s.requests, 5);
  EXPECT_EQ(s.completed, 3);
  EXPECT_EQ(s.failed, 2);
  EXPECT_EQ(s.errors_by_kind.at("http_429"), 1);
  EXPECT_EQ(s.errors_by_kind.at("timeout"), 1);
  EXPECT_EQ(s.output_tokens, 17);
  EXPECT_EQ(s.input_tokens, 350);
  EXPECT_EQ(s.usage_missing, 1);
  EXPECT_EQ(s.cached_tokens, 40);  // only r0 reported its cache hits, of 100 prompt tokens
  EXPECT_EQ(s.cache_reported_input_tokens, 100);
  EXPECT_DOUBLE_EQ(s.request_throughput, 0.75);
  EXPECT_DOUBLE_EQ(s.output_token_throughput, 4.25);
  EXPECT_DOUBLE_EQ(s.total_token_throughput, 91.75);
  EXPECT_DOUBLE_EQ(s.ttft_ms.mean, 150);
  EXPECT_DOUBLE_EQ(s.ttft_ms.p90, 260);
  EXPECT_EQ(s.tpot_ms.count, 2);
  EXPECT_DOUBLE_EQ(s.tpot_ms.mean, 75);
  EXPECT_DOUBLE_EQ(s.tpot_ms.p90, 95);
  EXPECT_DOUBLE_EQ(s.e2e_ms.p50, 550);
  EXPECT_DOUBLE_EQ(s.e2e_ms.p90, 910);
  EXPECT_EQ(s.itl_ms.count, 3);
  EXPECT_DOUBLE_EQ(s.itl_ms.p50, 400);
  EXPECT_DOUBLE_EQ(s.queue_delay_ms.max, 100);
  // r0 misses TPOT (100 > 60), r1 misses TTFT (300 > 200), r2 meets both: 1 request in 4 s.
  EXPECT_EQ(s.slo_met, 1);
  EXPECT_DOUBLE_EQ(s.goodput, 0.25);
  EXPECT_DOUBLE_EQ(s.slo_attainment, 0.2);
  // Without objectives every completed request counts.
  const BenchSummary loose = SummarizeRun(Records(), 4.0, SloOptions{});
  EXPECT_EQ(loose.slo_met, 3);
  const BenchSummary ttft_only = SummarizeRun(Records(), 4.0, SloOptions{200, 0});
  EXPECT_EQ(ttft_only.slo_met, 2);
}

TEST(ReportTest, TableAndJsonCarryTheResults) {
  const BenchSummary s = SummarizeRun(Records(), 4.0, SloOptions{200, 60});
  const RunDescription description = {{"url", "http://x/v1/completions"}, {"model", "m"}};
  const std::string table = FormatReportTable(s, description);
  EXPECT_NE(table.find("http://x/v1/completions"), std::string::npos);
  EXPECT_NE(table.find("Goodput (req/s):"), std::string::npos);
  EXPECT_NE(table.find("0.25"), std::string::npos);
  EXPECT_NE(table.find("http_429:"), std::string::npos);
  EXPECT_NE(table.find("40 (40.0 %)"), std::string::npos);
  EXPECT_NE(table.find("TTFT"), std::string::npos);

  const std::vector<RequestRecord> records = Records();
  const boost::json::value json = boost::json::parse(FormatReportJson(s, description, &records));
  EXPECT_EQ(json.at("config").at("model").as_string(), "m");
  EXPECT_EQ(json.at("summary").at("completed").as_int64(), 3);
  EXPECT_DOUBLE_EQ(json.at("summary").at("goodput").as_double(), 0.25);
  EXPECT_DOUBLE_EQ(json.at("metrics").at("ttft_ms").at("p90").as_double(), 260);
  EXPECT_EQ(json.at("errors").at("timeout").as_int64(), 1);
  ASSERT_EQ(json.at("requests").as_array().size(), 5u);
  EXPECT_TRUE(json.at("requests").as_array()[2].at("tpot_ms").is_null());
  EXPECT_EQ(json.at("requests").as_array()[3].at("error_kind").as_string(), "http_429");
  const boost::json::value no_rows = boost::json::parse(FormatReportJson(s, description, nullptr));
  EXPECT_FALSE(no_rows.as_object().contains("requests"));
}

TEST(ProgressTest, RendersAndRateLimits) {
  base::ManualClock clock(0);
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  Progress progress(clock, out, /*terminal=*/true);
  clock.Advance(2'000'000);
  const ProgressState state{10, 1, 3, 20, 400};
  EXPECT_EQ(progress.Render(state),
            "[###############...............] 10/20 requests  5.0 req/s  200 tok/s  in flight 3  "
            "failed 1  00:00:02");
  progress.Update(state);
  progress.Update(state);  // too soon: not drawn again
  clock.Advance(200'000);
  progress.Update(state);
  std::fflush(out);
  const std::string drawn(buffer, size);
  size_t draws = 0;
  for (size_t at = drawn.find('\r'); at != std::string::npos; at = drawn.find('\r', at + 1)) {
    ++draws;
  }
  EXPECT_EQ(draws, 2u);
  std::fclose(out);
  std::free(buffer);

  Progress plain(clock, stderr, /*terminal=*/false, 10'000'000);
  EXPECT_EQ(plain.Render(ProgressState{5, 0, 0, 0, 0}).substr(0, 10), "5 requests");
}

}  // namespace
}  // namespace tokenfab::bench
