#include "tokenfab/bench/workload.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tokenfab::bench {

StatusOr<std::vector<PlannedRequest>> PlanFromTrace(const std::vector<TraceRequest>& trace,
                                                    const TraceWorkloadOptions& options) {
  if (!(options.rate_scale > 0) || !std::isfinite(options.rate_scale)) {
    return absl::InvalidArgumentError(
        fmt::format("rate scale must be a positive number, not {}", options.rate_scale));
  }
  // Arrival times in the trace's own µs, spread within same-timestamp groups when asked.
  std::vector<double> arrivals(trace.size());
  for (size_t i = 0; i < trace.size(); ++i) arrivals[i] = static_cast<double>(trace[i].arrival_us);
  if (options.same_time == SameTimeArrivals::kSpread) {
    int64_t previous_step = 0;
    size_t begin = 0;
    while (begin < trace.size()) {
      size_t end = begin;
      while (end < trace.size() && trace[end].arrival_us == trace[begin].arrival_us) ++end;
      // The group [begin, end) shares one timestamp; spread it over the gap to the next one
      // (for the last group, over the gap before it).
      const int64_t step =
          end < trace.size() ? trace[end].arrival_us - trace[begin].arrival_us : previous_step;
      const size_t count = end - begin;
      for (size_t k = 0; k < count; ++k) {
        arrivals[begin + k] +=
            static_cast<double>(step) * static_cast<double>(k) / static_cast<double>(count);
      }
      previous_step = step;
      begin = end;
    }
  }
  std::vector<PlannedRequest> plan;
  for (size_t i = 0; i < trace.size(); ++i) {
    if (options.max_requests > 0 && static_cast<int64_t>(plan.size()) >= options.max_requests) {
      break;
    }
    PlannedRequest request;
    request.arrival_us = static_cast<int64_t>(std::llround(arrivals[i] / options.rate_scale));
    if (options.max_duration_us > 0 && request.arrival_us >= options.max_duration_us) break;
    request.input_tokens = std::max(trace[i].input_tokens, 1);
    request.output_tokens = std::max(trace[i].output_tokens, 1);
    if (options.max_input_tokens > 0) {
      request.input_tokens = std::min(request.input_tokens, options.max_input_tokens);
    }
    if (options.max_output_tokens > 0) {
      request.output_tokens = std::min(request.output_tokens, options.max_output_tokens);
    }
    request.hash_ids = trace[i].hash_ids;
    const size_t blocks = static_cast<size_t>((request.input_tokens + kMooncakeBlockTokens - 1) /
                                              kMooncakeBlockTokens);
    if (request.hash_ids.size() > blocks) request.hash_ids.resize(blocks);
    plan.push_back(std::move(request));
  }
  return plan;
}

StatusOr<std::vector<PlannedRequest>> PlanSynthetic(const SyntheticWorkloadOptions& options,
                                                    base::Random& random) {
  base::Random arrival_random = random.Fork();
  base::Random length_random = random.Fork();
  auto arrivals = GenerateArrivals(options.arrivals, options.max_requests, options.max_duration_us,
                                   arrival_random);
  if (!arrivals.ok()) return arrivals.status();
  std::vector<PlannedRequest> plan;
  plan.reserve(arrivals->size());
  for (int64_t at_us : *arrivals) {
    PlannedRequest request;
    request.arrival_us = at_us;
    request.input_tokens = options.input_tokens.Sample(length_random);
    request.output_tokens = options.output_tokens.Sample(length_random);
    plan.push_back(std::move(request));
  }
  return plan;
}

}  // namespace tokenfab::bench
