// Statistics of a benchmark run.
//
// Percentiles: linear interpolation between closest ranks (Hyndman & Fan type 7, numpy's
// default): for n sorted values x[0..n−1] and p in [0, 100], r = p/100 · (n − 1) and
// P(p) = x[⌊r⌋] + (r − ⌊r⌋) · (x[⌈r⌉] − x[⌊r⌋]).
//
// Goodput, as DistServe defines it: requests per second that complete and meet both SLOs,
// TTFT ≤ slo_ttft and TPOT ≤ slo_tpot (a request with one output token has no TPOT and meets
// that SLO), over the run's duration. SLO attainment is the fraction of all measured requests
// that do; DistServe's "highest rate at X% attainment" comes from sweeping --rate-scale.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tokenfab/bench/request_record.h"

namespace tokenfab::bench {

// REQUIRES: `sorted` ascending and non-empty; 0 <= p <= 100.
double Percentile(const std::vector<double>& sorted, double p);

struct Summary {
  int64_t count = 0;
  double mean = 0, min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;  // all 0 when count == 0
};

// Summary of `values` (NaNs are skipped).
Summary Summarize(std::vector<double> values);

struct SloOptions {
  double ttft_ms = 0;  // 0: no TTFT objective
  double tpot_ms = 0;  // 0: no TPOT objective
  bool enabled() const { return ttft_ms > 0 || tpot_ms > 0; }
};

// True when `record` succeeded and meets the objectives set in `slo`.
bool MeetsSlo(const RequestRecord& record, const SloOptions& slo);

struct BenchSummary {
  int64_t requests = 0;  // measured (warm-up excluded)
  int64_t completed = 0;
  int64_t failed = 0;
  std::map<std::string, int64_t> errors_by_kind;
  double duration_s = 0;
  int64_t input_tokens = 0;   // of completed requests
  int64_t output_tokens = 0;  // of completed requests
  int64_t usage_missing = 0;  // completed requests whose token count came from chunks
  // Prefix cache: prompt tokens the server reported as cached, and the prompt tokens of the
  // completed requests that reported it (0 and 0 when none did).
  int64_t cached_tokens = 0;
  int64_t cache_reported_input_tokens = 0;
  double request_throughput = 0;                             // completed / s
  double input_token_throughput = 0;                         // tokens / s
  double output_token_throughput = 0;                        // tokens / s
  double total_token_throughput = 0;                         // tokens / s
  Summary ttft_ms, tpot_ms, itl_ms, e2e_ms, queue_delay_ms;  // completed requests only
  SloOptions slo;
  int64_t slo_met = 0;
  double goodput = 0;         // requests / s meeting the SLOs
  double slo_attainment = 0;  // slo_met / requests
};

// REQUIRES: duration_s > 0.
BenchSummary SummarizeRun(const std::vector<RequestRecord>& records, double duration_s,
                          const SloOptions& slo);

}  // namespace tokenfab::bench
