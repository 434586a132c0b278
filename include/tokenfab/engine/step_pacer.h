// StepPacer: how the synthetic executor lets the modelled time of a step pass. In production it
// sleeps until the step's modelled end on the real clock (RealStepPacer); in tests and
// simulations it moves a manual clock there at once (ManualStepPacer), so modelled TTFT and
// TPOT come out exactly, without sleeping.
//
// Thread-safety: one caller at a time (the engine thread).
#pragma once

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

}  // namespace tokenfab::engine
