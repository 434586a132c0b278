#include "tokenfab/base/clock.h"

#include <chrono>

#include "tokenfab/base/check.h"

namespace tokenfab::base {

int64_t RealClock::NowMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int64_t RealClock::WallMicros() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RealClock& RealClock::Get() {
  static RealClock* clock = new RealClock();
  return *clock;
}

void ManualClock::Advance(int64_t micros) {
  TF_CHECK(micros >= 0) << "time cannot run backwards: " << micros;
  now_.fetch_add(micros, std::memory_order_acq_rel);
}

void ManualClock::Set(int64_t micros) {
  int64_t now = now_.load(std::memory_order_acquire);
  TF_CHECK(micros >= now) << "time cannot run backwards: " << micros << " < " << now;
  now_.store(micros, std::memory_order_release);
}

}  // namespace tokenfab::base
