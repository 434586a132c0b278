// RateTracker: the engine's recent throughput and latency, exponentially weighted over busy time
// (time constant tau), for the load snapshot and the queue-delay estimate. Steps with prompt
// tokens update the prefill rate, steps with decode tokens the decode rate (each step weighs by
// its duration: tokens over time) and the time per output token. A decoding stream gets one
// token per step, so the TPOT it sees is the mean step time with every step counting once: the
// recent decode steps' time over their number, both decayed by exp(-busy time / tau). (Weighing
// each step by its duration would count a long step carrying a prefill chunk once per
// microsecond, and overstate TPOT several times when such steps mix with short decode-only ones.)
//
// Not thread-safe: the engine thread's.
#pragma once

#include <cstdint>

namespace tokenfab::engine::internal {

class RateTracker {
 public:
  // REQUIRES: time_constant_us > 0.
  explicit RateTracker(int64_t time_constant_us) : tau_us_(time_constant_us) {}

  // One step of `step_us` (>= 0) that computed the given tokens.
  void Record(int64_t step_us, int32_t prefill_tokens, int32_t decode_tokens);

  // 0 until measured.
  double prefill_tokens_per_s() const { return prefill_rate_; }
  double decode_tokens_per_s() const { return decode_rate_; }
  double tpot_us() const { return tpot_us_; }

 private:
  // Moves `*average` towards `sample` by the weight of a step of `step_us`.
  void Blend(double* average, bool* seen, double sample, int64_t step_us) const;

  const int64_t tau_us_;
  double prefill_rate_ = 0;
  double decode_rate_ = 0;
  double tpot_us_ = 0;
  double decode_step_us_sum_ = 0;  // decayed sum of decode steps' durations
  double decode_steps_ = 0;        // decayed count of decode steps
  bool prefill_seen_ = false;
  bool decode_seen_ = false;
};

}  // namespace tokenfab::engine::internal
