#include "tokenfab/engine/step_pacer.h"

#include <chrono>
#include <cmath>
#include <thread>

namespace tokenfab::engine {

void RealStepPacer::WaitUntil(int64_t until_us) {
  for (int64_t now = clock_.NowMicros(); now < until_us; now = clock_.NowMicros()) {
    std::this_thread::sleep_for(std::chrono::microseconds(until_us - now));
  }
}

void ManualStepPacer::WaitUntil(int64_t until_us) {
  if (clock_.NowMicros() < until_us) clock_.Set(until_us);
}

void ScaledStepPacer::WaitUntil(int64_t until_us) {
  const int64_t now = inner_.clock().NowMicros();
  const double factor = factor_.load(std::memory_order_relaxed);
  if (until_us <= now) return;
  inner_.WaitUntil(now + std::llround(static_cast<double>(until_us - now) * factor));
}

}  // namespace tokenfab::engine
