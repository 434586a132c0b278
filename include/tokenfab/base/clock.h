// Clock: the only way code reads time, so tests can drive time by hand and never sleep.
//
// Two readings: NowMicros() is monotonic (durations, deadlines, TTFT); WallMicros() is calendar
// time since the Unix epoch (ledger timestamps, hour-of-day electricity prices).
#pragma once

#include <atomic>
#include <cstdint>

namespace tokenfab::base {

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic microseconds since an arbitrary, fixed origin.
  virtual int64_t NowMicros() const = 0;
  // Microseconds since 1970-01-01T00:00:00Z.
  virtual int64_t WallMicros() const = 0;
};

// The machine's clocks (steady_clock and system_clock). Thread-safe.
class RealClock final : public Clock {
 public:
  int64_t NowMicros() const override;
  int64_t WallMicros() const override;
  // A process-wide instance, never destroyed.
  static RealClock& Get();
};

// A clock that moves only when told to. Thread-safe: readers may race with Advance().
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_micros = 0, int64_t wall_origin_micros = 1'700'000'000'000'000)
      : now_(now_micros), wall_origin_(wall_origin_micros) {}

  int64_t NowMicros() const override { return now_.load(std::memory_order_acquire); }
  // Wall time moves in step with monotonic time, from `wall_origin_micros`.
  int64_t WallMicros() const override { return wall_origin_ + NowMicros(); }

  // REQUIRES: micros >= 0 (time never runs backwards).
  void Advance(int64_t micros);
  // REQUIRES: micros >= NowMicros().
  void Set(int64_t micros);

 private:
  std::atomic<int64_t> now_;
  const int64_t wall_origin_;
};

}  // namespace tokenfab::base
