#include "engine/rate_tracker.h"

#include <algorithm>
#include <cmath>

namespace tokenfab::engine::internal {

void RateTracker::Blend(double* average, bool* seen, double sample, int64_t step_us) const {
  if (!*seen) {
    *average = sample;
    *seen = true;
    return;
  }
  const double weight =
      1.0 - std::exp(-static_cast<double>(step_us) / static_cast<double>(tau_us_));
  *average += weight * (sample - *average);
}

void RateTracker::Record(int64_t step_us, int32_t prefill_tokens, int32_t decode_tokens) {
  const int64_t us = std::max<int64_t>(step_us, 1);
  const double seconds = static_cast<double>(us) * 1e-6;
  if (prefill_tokens > 0) {
    Blend(&prefill_rate_, &prefill_seen_, prefill_tokens / seconds, us);
  }
  if (decode_tokens > 0) {
    Blend(&decode_rate_, &decode_seen_, decode_tokens / seconds, us);
    const double keep = std::exp(-static_cast<double>(us) / static_cast<double>(tau_us_));
    decode_step_us_sum_ = decode_step_us_sum_ * keep + static_cast<double>(us);
    decode_steps_ = decode_steps_ * keep + 1;
    tpot_us_ = decode_step_us_sum_ / decode_steps_;
  }
}

}  // namespace tokenfab::engine::internal
