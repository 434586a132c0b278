// Synthetic arrival processes: when requests arrive, as gaps drawn from a seeded Random.
//   - Poisson: exponential gaps with mean 1/rate.
//   - Gamma: gaps ~ Gamma(shape k, scale 1/(k·rate)): mean 1/rate, coefficient of variation
//     1/sqrt(k). k < 1 is burstier than Poisson, k > 1 smoother, k = 1 is Poisson (the
//     "burstiness" knob of vLLM's benchmark).
// Pure functions of their inputs; deterministic for a given Random state.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "tokenfab/base/random.h"
#include "tokenfab/base/status.h"

namespace tokenfab::bench {

enum class ArrivalKind { kPoisson, kGamma };

struct ArrivalOptions {
  ArrivalKind kind = ArrivalKind::kPoisson;
  // Mean requests per second; +infinity sends every request at time 0.
  double rate = std::numeric_limits<double>::infinity();
  double burstiness = 1.0;  // the gamma shape k; ignored for Poisson
};

[[nodiscard]] StatusOr<ArrivalKind> ParseArrivalKind(std::string_view name);

// A Gamma(shape, scale) variate (Marsaglia–Tsang; shape < 1 by the boost U^(1/shape) step).
// REQUIRES: shape > 0, scale > 0.
double SampleGamma(base::Random& random, double shape, double scale);

// Arrival times (µs from the start, non-decreasing, the first after one gap) of up to
// `max_requests` requests, stopping before `max_duration_us` (<= 0: no time limit).
// InvalidArgument for a non-positive rate or burstiness, or with neither limit set.
[[nodiscard]] StatusOr<std::vector<int64_t>> GenerateArrivals(const ArrivalOptions& options,
                                                              int64_t max_requests,
                                                              int64_t max_duration_us,
                                                              base::Random& random);

}  // namespace tokenfab::bench
