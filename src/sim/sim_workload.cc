#include "tokenfab/sim/sim_workload.h"

#include <algorithm>
#include <cmath>

#include "tokenfab/bench/workload.h"

namespace tokenfab::sim {
namespace {

uint32_t DrawTier(const SimWorkloadSpec& spec, double total_share, base::Random& random) {
  double u = random.Uniform() * total_share;
  for (uint32_t i = 0; i < spec.tiers.size(); ++i) {
    u -= spec.tiers[i].share;
    if (u < 0) return i;
  }
  return static_cast<uint32_t>(spec.tiers.size() - 1);
}

double TotalShare(const SimWorkloadSpec& spec) {
  double total = 0;
  for (const TierMix& mix : spec.tiers) total += mix.share;
  return total;
}

// The tier's shared system-prompt blocks, named apart from trace ids and other tiers'.
std::vector<uint64_t> SharedPrefix(const TierMix& mix, uint32_t tier) {
  std::vector<uint64_t> ids;
  for (int32_t k = 0; k < mix.shared_prefix_blocks; ++k) {
    ids.push_back((uint64_t{0x5eed} << 48) | (uint64_t{tier} << 24) | static_cast<uint64_t>(k));
  }
  return ids;
}

double DiurnalFactor(const SimWorkloadSpec& spec, int64_t t_us) {
  if (spec.diurnal.empty()) return 1.0;
  const int64_t hour = (spec.start_utc_hour + t_us / 3'600'000'000) % 24;
  return spec.diurnal[static_cast<size_t>(hour)];
}

// The batch tiers' lines, appended after the arrivals (the valley filler releases them).
void AppendBatchLines(const SimWorkloadSpec& spec, base::Random& random,
                      std::vector<SimRequest>& plan) {
  for (uint32_t t = 0; t < spec.tiers.size(); ++t) {
    const TierMix& mix = spec.tiers[t];
    for (int64_t line = 0; line < mix.batch_lines; ++line) {
      SimRequest request;
      request.arrival_us = static_cast<int64_t>(mix.submit_s * 1e6);
      request.tier = t;
      request.input_tokens =
          (mix.input_tokens ? *mix.input_tokens : spec.input_tokens).Sample(random);
      request.output_tokens =
          (mix.output_tokens ? *mix.output_tokens : spec.output_tokens).Sample(random);
      request.hash_ids = SharedPrefix(mix, t);
      plan.push_back(std::move(request));
    }
  }
}

}  // namespace

double BaseRate(const SimWorkloadSpec& spec) {
  if (spec.tokens_per_day <= 0) return spec.arrivals.rate;
  double mean_tokens = 0;
  const double total = TotalShare(spec);
  for (const TierMix& mix : spec.tiers) {
    const double in = mix.input_tokens ? mix.input_tokens->Mean() : spec.input_tokens.Mean();
    const double out = mix.output_tokens ? mix.output_tokens->Mean() : spec.output_tokens.Mean();
    mean_tokens += mix.share / total * (in + out);
  }
  return spec.tokens_per_day / 86400.0 / std::max(1.0, mean_tokens);
}

StatusOr<std::vector<SimRequest>> PlanSyntheticWorkload(const SimWorkloadSpec& spec,
                                                        const PlanOptions& options,
                                                        base::Random& random) {
  if (!(options.rate_scale > 0)) return absl::InvalidArgumentError("--rate-scale must be > 0");
  const double duration_s = options.duration_s > 0 ? options.duration_s : spec.duration_s;
  double peak = 1.0;
  if (!spec.diurnal.empty()) peak = *std::max_element(spec.diurnal.begin(), spec.diurnal.end());
  if (!(peak > 0)) return absl::InvalidArgumentError("the diurnal curve is zero everywhere");
  bench::ArrivalOptions arrivals = spec.arrivals;
  arrivals.rate = BaseRate(spec) * options.rate_scale * peak;
  TF_ASSIGN_OR_RETURN(
      std::vector<int64_t> times,
      bench::GenerateArrivals(arrivals, 0, static_cast<int64_t>(duration_s * 1e6), random));
  const double total_share = TotalShare(spec);
  std::vector<SimRequest> plan;
  plan.reserve(times.size());
  for (int64_t t : times) {
    // Thinning: a request of the peak-rate process is kept with probability factor / peak.
    if (!spec.diurnal.empty() && random.Uniform() * peak >= DiurnalFactor(spec, t)) continue;
    SimRequest request;
    request.arrival_us = t;
    request.tier = DrawTier(spec, total_share, random);
    const TierMix& mix = spec.tiers[request.tier];
    request.input_tokens =
        (mix.input_tokens ? *mix.input_tokens : spec.input_tokens).Sample(random);
    request.output_tokens =
        (mix.output_tokens ? *mix.output_tokens : spec.output_tokens).Sample(random);
    request.hash_ids = SharedPrefix(mix, request.tier);
    plan.push_back(std::move(request));
  }
  AppendBatchLines(spec, random, plan);
  return plan;
}

StatusOr<std::vector<SimRequest>> PlanTraceWorkload(const std::vector<bench::TraceRequest>& trace,
                                                    const SimWorkloadSpec& spec,
                                                    const PlanOptions& options,
                                                    base::Random& random) {
  bench::TraceWorkloadOptions trace_options;
  trace_options.rate_scale = options.rate_scale;
  trace_options.max_duration_us = static_cast<int64_t>(options.duration_s * 1e6);
  TF_ASSIGN_OR_RETURN(std::vector<bench::PlannedRequest> planned,
                      bench::PlanFromTrace(trace, trace_options));
  const double total_share = TotalShare(spec);
  std::vector<SimRequest> plan;
  plan.reserve(planned.size());
  for (bench::PlannedRequest& p : planned) {
    SimRequest request;
    request.arrival_us = p.arrival_us;
    request.input_tokens = std::max(1, p.input_tokens);
    request.output_tokens = std::max(1, p.output_tokens);
    request.hash_ids = std::move(p.hash_ids);
    request.tier = DrawTier(spec, total_share, random);
    plan.push_back(std::move(request));
  }
  AppendBatchLines(spec, random, plan);
  return plan;
}

}  // namespace tokenfab::sim
