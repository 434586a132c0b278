#include "tokenfab/bench/arrival.h"

#include <cmath>

#include <fmt/format.h>

#include "tokenfab/base/check.h"

namespace tokenfab::bench {

StatusOr<ArrivalKind> ParseArrivalKind(std::string_view name) {
  if (name == "poisson") return ArrivalKind::kPoisson;
  if (name == "gamma") return ArrivalKind::kGamma;
  return absl::InvalidArgumentError(
      fmt::format("unknown arrival process '{}' (expected poisson or gamma)", name));
}

double SampleGamma(base::Random& random, double shape, double scale) {
  TF_CHECK(shape > 0 && scale > 0);
  if (shape < 1.0) {
    // Gamma(k) = Gamma(k + 1) · U^(1/k).
    double u = random.Uniform();
    while (u <= 0.0) u = random.Uniform();
    return SampleGamma(random, shape + 1.0, scale) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  while (true) {
    double x, v;
    do {
      x = random.Normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = random.Uniform();
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v * scale;
    if (u > 0.0 && std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v * scale;
  }
}

StatusOr<std::vector<int64_t>> GenerateArrivals(const ArrivalOptions& options, int64_t max_requests,
                                                int64_t max_duration_us, base::Random& random) {
  if (!(options.rate > 0)) {
    return absl::InvalidArgumentError(
        fmt::format("request rate must be positive, not {}", options.rate));
  }
  if (options.kind == ArrivalKind::kGamma && !(options.burstiness > 0)) {
    return absl::InvalidArgumentError(
        fmt::format("burstiness must be positive, not {}", options.burstiness));
  }
  if (max_requests <= 0 && max_duration_us <= 0) {
    return absl::InvalidArgumentError("synthetic arrivals need a request count or a duration");
  }
  if (std::isinf(options.rate) && max_requests <= 0) {
    return absl::InvalidArgumentError("an infinite rate needs a request count");
  }
  std::vector<int64_t> arrivals;
  double now_s = 0.0;
  while (max_requests <= 0 || static_cast<int64_t>(arrivals.size()) < max_requests) {
    if (!std::isinf(options.rate)) {
      now_s +=
          options.kind == ArrivalKind::kPoisson
              ? random.Exponential(options.rate)
              : SampleGamma(random, options.burstiness, 1.0 / (options.burstiness * options.rate));
    }
    const int64_t at_us = static_cast<int64_t>(std::llround(now_s * 1e6));
    if (max_duration_us > 0 && at_us >= max_duration_us) break;
    arrivals.push_back(at_us);
  }
  return arrivals;
}

}  // namespace tokenfab::bench
