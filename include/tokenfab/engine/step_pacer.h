// StepPacer: how the synthetic executor lets the modelled time of a step pass. In production it
// sleeps until the step's modelled end on the real clock (RealStepPacer); in tests and
// simulations it moves a manual clock there at once (ManualStepPacer), so modelled TTFT and
// TPOT come out exactly, without sleeping.
//
// Thread-safety: one caller at a time (the engine thread).
#pragma once

#include <atomic>
#include <cstdint>

#include "tokenfab/base/clock.h"

namespace tokenfab::engine {

class StepPacer {
 public:
  virtual ~StepPacer() = default;
  virtual const base::Clock& clock() const = 0;
  // Returns once clock().NowMicros() >= until_us.
  virtual void WaitUntil(int64_t until_us) = 0;
};

// Sleeps on the real clock. Borrows the clock.
class RealStepPacer final : public StepPacer {
 public:
  explicit RealStepPacer(const base::Clock& clock) : clock_(clock) {}
  const base::Clock& clock() const override { return clock_; }
  void WaitUntil(int64_t until_us) override;

 private:
  const base::Clock& clock_;
};

// Advances a manual clock. Borrows the clock.
class ManualStepPacer final : public StepPacer {
 public:
  explicit ManualStepPacer(base::ManualClock& clock) : clock_(clock) {}
  const base::Clock& clock() const override { return clock_; }
  void WaitUntil(int64_t until_us) override;

 private:
  base::ManualClock& clock_;
};

// Stretches every wait of another pacer by a factor set at run time (an operator slowing a
// synthetic node down mid-run, as a throttled or shared accelerator would be): a step asked to
// last d µs from now lasts factor x d. Borrows `inner`. set_factor() is thread-safe.
class ScaledStepPacer final : public StepPacer {
 public:
  explicit ScaledStepPacer(StepPacer& inner) : inner_(inner) {}
  const base::Clock& clock() const override { return inner_.clock(); }
  void WaitUntil(int64_t until_us) override;

  // REQUIRES: factor > 0 and finite (the caller validates).
  void set_factor(double factor) { factor_.store(factor, std::memory_order_relaxed); }
  double factor() const { return factor_.load(std::memory_order_relaxed); }

 private:
  StepPacer& inner_;
  std::atomic<double> factor_{1.0};
};

}  // namespace tokenfab::engine
