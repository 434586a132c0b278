#include "tokenfab/bench/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "tokenfab/base/check.h"

namespace tokenfab::bench {

double RequestRecord::TpotMs() const {
  const int64_t tokens = OutputTokens();
  if (tokens <= 1 || first_token_us < 0) return std::numeric_limits<double>::quiet_NaN();
  return (E2eMs() - TtftMs()) / static_cast<double>(tokens - 1);
}

double Percentile(const std::vector<double>& sorted, double p) {
  TF_CHECK(!sorted.empty());
  TF_CHECK(p >= 0 && p <= 100);
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t low = static_cast<size_t>(std::floor(rank));
  const size_t high = static_cast<size_t>(std::ceil(rank));
  return sorted[low] + (rank - static_cast<double>(low)) * (sorted[high] - sorted[low]);
}

Summary Summarize(std::vector<double> values) {
  std::erase_if(values, [](double v) { return std::isnan(v); });
  Summary summary;
  summary.count = static_cast<int64_t>(values.size());
  if (values.empty()) return summary;
  std::sort(values.begin(), values.end());
  summary.mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  summary.min = values.front();
  summary.max = values.back();
  summary.p50 = Percentile(values, 50);
  summary.p90 = Percentile(values, 90);
  summary.p99 = Percentile(values, 99);
  return summary;
}

bool MeetsSlo(const RequestRecord& record, const SloOptions& slo) {
  if (!record.ok()) return false;
  if (slo.ttft_ms > 0 && !(record.TtftMs() <= slo.ttft_ms)) return false;
  if (slo.tpot_ms > 0) {
    const double tpot = record.TpotMs();
    if (!std::isnan(tpot) && !(tpot <= slo.tpot_ms)) return false;
  }
  return true;
}

BenchSummary SummarizeRun(const std::vector<RequestRecord>& records, double duration_s,
                          const SloOptions& slo) {
  TF_CHECK(duration_s > 0);
  BenchSummary summary;
  summary.requests = static_cast<int64_t>(records.size());
  summary.duration_s = duration_s;
  summary.slo = slo;
  std::vector<double> ttft, tpot, itl, e2e, queue;
  for (const RequestRecord& record : records) {
    if (!record.ok()) {
      ++summary.failed;
      ++summary.errors_by_kind[record.error_kind];
      continue;
    }
    ++summary.completed;
    summary.input_tokens += record.InputTokens();
    summary.output_tokens += record.OutputTokens();
    if (!record.completion_tokens.has_value()) ++summary.usage_missing;
    if (record.cached_tokens.has_value()) {
      summary.cached_tokens += *record.cached_tokens;
      summary.cache_reported_input_tokens += record.InputTokens();
    }
    ttft.push_back(record.TtftMs());
    tpot.push_back(record.TpotMs());
    e2e.push_back(record.E2eMs());
    queue.push_back(record.QueueDelayMs());
    for (int64_t gap : record.itl_us) itl.push_back(static_cast<double>(gap) / 1000.0);
    if (MeetsSlo(record, slo)) ++summary.slo_met;
  }
  summary.ttft_ms = Summarize(std::move(ttft));
  summary.tpot_ms = Summarize(std::move(tpot));
  summary.itl_ms = Summarize(std::move(itl));
  summary.e2e_ms = Summarize(std::move(e2e));
  summary.queue_delay_ms = Summarize(std::move(queue));
  summary.request_throughput = static_cast<double>(summary.completed) / duration_s;
  summary.input_token_throughput = static_cast<double>(summary.input_tokens) / duration_s;
  summary.output_token_throughput = static_cast<double>(summary.output_tokens) / duration_s;
  summary.total_token_throughput =
      static_cast<double>(summary.input_tokens + summary.output_tokens) / duration_s;
  summary.goodput = static_cast<double>(summary.slo_met) / duration_s;
  summary.slo_attainment = summary.requests > 0 ? static_cast<double>(summary.slo_met) /
                                                      static_cast<double>(summary.requests)
                                                : 0.0;
  return summary;
}

}  // namespace tokenfab::bench
