// CircuitBreaker: the gateway's per-upstream guard against sending traffic to a server that keeps
// failing. Closed passes every request; after `failure_threshold` failures in a row it opens and
// refuses requests for `open_micros`; then it turns half-open and lets `half_open_probes`
// requests through at a time: `success_threshold` successes close it, a failure opens it again
// for longer (times `backoff_factor`, up to `max_open_micros`).
//
// What counts: a request the breaker let through reports exactly one outcome. Failures are
// connect errors, 5xx answers, timeouts and streams cut by the upstream; a 4xx answer is a
// success (the upstream works; the request was wrong); a request the client abandoned is neutral.
//
// Time comes from the injected clock (monotonic reading). Thread-safe.
#pragma once

#include <cstdint>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/clock.h"
#include "tokenfab/fleet/upstream_state.h"

namespace tokenfab::gateway {

struct CircuitBreakerOptions {
  int failure_threshold = 5;            // failures in a row that open a closed circuit, >= 1
  int64_t open_micros = 2'000'000;      // first open period, µs
  double backoff_factor = 2.0;          // open period growth after a failed probe, >= 1
  int64_t max_open_micros = 60'000'000;  // longest open period, µs
  int half_open_probes = 1;             // requests let through at once while half-open, >= 1
  int success_threshold = 1;            // successful probes that close the circuit, >= 1
};

class CircuitBreaker {
 public:
  CircuitBreaker(const base::Clock& clock, CircuitBreakerOptions options = {});

  // The state now: an open circuit whose period is over reads as half-open.
  fleet::CircuitState State() const ABSL_LOCKS_EXCLUDED(mu_);

  // Asks to send one request. True when closed, or half-open with a probe slot free (the slot is
  // taken). Every true must be followed by one Record*() call.
  bool TryAcquire() ABSL_LOCKS_EXCLUDED(mu_);
  void RecordSuccess() ABSL_LOCKS_EXCLUDED(mu_);
  void RecordFailure() ABSL_LOCKS_EXCLUDED(mu_);
  // The request ended without saying anything about the upstream (e.g. the client left).
  void RecordNeutral() ABSL_LOCKS_EXCLUDED(mu_);

  // Failures in a row so far (for metrics and tests).
  int consecutive_failures() const ABSL_LOCKS_EXCLUDED(mu_);
  // Times the circuit opened since construction.
  int64_t times_opened() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Moves an open circuit whose time is up to half-open.
  void Refresh(int64_t now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Open(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const base::Clock& clock_;
  const CircuitBreakerOptions options_;

  mutable absl::Mutex mu_;
  mutable fleet::CircuitState state_ ABSL_GUARDED_BY(mu_) = fleet::CircuitState::kClosed;
  int64_t open_until_ ABSL_GUARDED_BY(mu_) = 0;            // monotonic µs
  int64_t open_period_ ABSL_GUARDED_BY(mu_) = 0;           // the current open period, µs
  int failures_ ABSL_GUARDED_BY(mu_) = 0;                  // in a row
  int probe_successes_ ABSL_GUARDED_BY(mu_) = 0;           // while half-open
  mutable int probes_in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // while half-open
  int64_t times_opened_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace tokenfab::gateway
