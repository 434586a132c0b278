// Workload: the list of requests a benchmark sends, each with its arrival time and lengths,
// planned in full before the run starts. From a trace (rate scaling, what to do with requests
// that share a timestamp, limits) or synthetic (an arrival process and length distributions).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "tokenfab/base/random.h"
#include "tokenfab/base/status.h"
#include "tokenfab/bench/arrival.h"
#include "tokenfab/bench/length_distribution.h"
#include "tokenfab/bench/trace.h"

namespace tokenfab::bench {

struct PlannedRequest {
  int64_t arrival_us = 0;  // µs after the start of the measured run
  int input_tokens = 1;
  int output_tokens = 1;
  // Names of the request's 512-token prompt blocks (Mooncake); empty: blocks of its own.
  std::vector<uint64_t> hash_ids;
};

// What to do with requests that share one timestamp (Mooncake's ~3 s steps hold up to 28).
enum class SameTimeArrivals {
  kBurst,   // send them together, at the timestamp
  kSpread,  // spread them evenly over the gap to the next timestamp
};


struct TraceWorkloadOptions {
  double rate_scale = 1.0;  // time compression: arrival gaps are divided by it (2: twice as fast)
  SameTimeArrivals same_time = SameTimeArrivals::kBurst;
  int64_t max_requests = 0;     // 0: every request of the trace
  int64_t max_duration_us = 0;  // 0: the whole trace; else requests arriving (scaled) before it
  int max_input_tokens = 0;     // 0: as the trace says; else prompts are cut to this
  int max_output_tokens = 0;    // 0: as the trace says; else answers are capped at this
};

[[nodiscard]] StatusOr<std::vector<PlannedRequest>> PlanFromTrace(
    const std::vector<TraceRequest>& trace, const TraceWorkloadOptions& options);

struct SyntheticWorkloadOptions {
  ArrivalOptions arrivals;
  LengthDistribution input_tokens = LengthDistribution::Fixed(256);
  LengthDistribution output_tokens = LengthDistribution::Fixed(128);
  int64_t max_requests = 0;     // 0: limited by the duration only
  int64_t max_duration_us = 0;  // 0: limited by the count only
};

[[nodiscard]] StatusOr<std::vector<PlannedRequest>> PlanSynthetic(
    const SyntheticWorkloadOptions& options, base::Random& random);

}  // namespace tokenfab::bench
