#include "tokenfab/gateway/circuit_breaker.h"

#include <algorithm>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"

namespace tokenfab::gateway {

using fleet::CircuitState;

CircuitBreaker::CircuitBreaker(const base::Clock& clock, CircuitBreakerOptions options)
    : clock_(clock), options_(options), open_period_(options.open_micros) {
  TF_CHECK(options_.failure_threshold >= 1 && options_.half_open_probes >= 1 &&
           options_.success_threshold >= 1 && options_.backoff_factor >= 1 &&
           options_.open_micros >= 0 && options_.max_open_micros >= options_.open_micros)
      << "bad circuit breaker options";
}

void CircuitBreaker::Refresh(int64_t now) const {
  if (state_ == CircuitState::kOpen && now >= open_until_) {
    state_ = CircuitState::kHalfOpen;
    probes_in_flight_ = 0;
  }
}

void CircuitBreaker::Open(int64_t now) {
  state_ = CircuitState::kOpen;
  open_until_ = now + open_period_;
  probes_in_flight_ = 0;
  probe_successes_ = 0;
  ++times_opened_;
}

CircuitState CircuitBreaker::State() const {
  absl::MutexLock lock(&mu_);
  Refresh(clock_.NowMicros());
  return state_;
}

bool CircuitBreaker::TryAcquire() {
  absl::MutexLock lock(&mu_);
  Refresh(clock_.NowMicros());
  switch (state_) {
    case CircuitState::kClosed:
      return true;
    case CircuitState::kOpen:
      return false;
    case CircuitState::kHalfOpen:
      if (probes_in_flight_ >= options_.half_open_probes) return false;
      ++probes_in_flight_;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  absl::MutexLock lock(&mu_);
  failures_ = 0;
  if (state_ != CircuitState::kHalfOpen) return;
  probes_in_flight_ = std::max(0, probes_in_flight_ - 1);
  if (++probe_successes_ >= options_.success_threshold) {
    state_ = CircuitState::kClosed;
    open_period_ = options_.open_micros;
    probe_successes_ = 0;
  }
}

void CircuitBreaker::RecordFailure() {
  absl::MutexLock lock(&mu_);
  const int64_t now = clock_.NowMicros();
  Refresh(now);
  ++failures_;
  switch (state_) {
    case CircuitState::kClosed:
      if (failures_ >= options_.failure_threshold) Open(now);
      break;
    case CircuitState::kHalfOpen:
      // A failed probe: open again, for longer.
      open_period_ = std::min<int64_t>(
          options_.max_open_micros,
          static_cast<int64_t>(static_cast<double>(open_period_) * options_.backoff_factor));
      Open(now);
      break;
    case CircuitState::kOpen:
      break;  // a request let through before the circuit opened
  }
}

void CircuitBreaker::RecordNeutral() {
  absl::MutexLock lock(&mu_);
  if (state_ == CircuitState::kHalfOpen) probes_in_flight_ = std::max(0, probes_in_flight_ - 1);
}

int CircuitBreaker::consecutive_failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

int64_t CircuitBreaker::times_opened() const {
  absl::MutexLock lock(&mu_);
  return times_opened_;
}

}  // namespace tokenfab::gateway
