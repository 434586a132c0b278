// The requests a simulation serves, planned in full before it starts: from a trace (the bench
// layer's readers and PlanFromTrace; Mooncake hash ids name 512-token prompt blocks, so equal ids
// become equal token blocks and the trace's prefix reuse is real) or synthetic from a
// SimWorkloadSpec (arrival process thinned by the diurnal curve, tier mix, lengths). Each request
// gets a tier by the spec's shares. Deterministic for a given Random state. The batch tiers'
// lines (TierMix::batch_lines) follow the arrivals, in tier order, at their submit time.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/base/random.h"
#include "tokenfab/base/status.h"
#include "tokenfab/bench/trace.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {

// One planned request. Plain data.
struct SimRequest {
  int64_t arrival_us = 0;  // simulated µs from the start
  int32_t input_tokens = 1;
  int32_t output_tokens = 1;
  std::vector<uint64_t> hash_ids;  // 512-token prompt blocks by name; the rest its own
  uint32_t tier = 0;               // index into SimWorkloadSpec::tiers
};

// Scaling of either plan.
struct PlanOptions {
  double rate_scale = 1.0;  // arrivals per second multiplied by this
  double duration_s = 0;    // arrivals before this; 0: the spec's duration (traces: whole trace)
};

// The arrival rate (requests/s) the spec asks for at a diurnal factor of 1: `rate`, or
// tokens_per_day over the share-weighted mean request length.
double BaseRate(const SimWorkloadSpec& spec);

[[nodiscard]] StatusOr<std::vector<SimRequest>> PlanSyntheticWorkload(const SimWorkloadSpec& spec,
                                                                      const PlanOptions& options,
                                                                      base::Random& random);

[[nodiscard]] StatusOr<std::vector<SimRequest>> PlanTraceWorkload(
    const std::vector<bench::TraceRequest>& trace, const SimWorkloadSpec& spec,
    const PlanOptions& options, base::Random& random);

}  // namespace tokenfab::sim
