// RetryPolicy: when a request that failed at one upstream goes to the next candidate, and how long
// the gateway waits first. A request is retried only while nothing of its answer has reached the
// client (so the client can never see two answers spliced together), only for failures that say
// the upstream, not the request, is at fault (connect errors, timeouts before the answer, 5xx),
// at most `max_attempts` upstreams in all, and not once `budget_micros` have passed since it
// arrived. Backoff grows geometrically with random jitter, so a burst of failures does not come
// back as a synchronised burst of retries.
//
// Pure: the random stream is passed in. Immutable; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "tokenfab/base/random.h"

namespace tokenfab::gateway {

// How one attempt at one upstream ended.
enum class AttemptOutcome {
  kSuccess,        // the upstream answered (2xx) and the answer was relayed to the end
  kClientError,    // the upstream answered 4xx: the request is at fault, the upstream is fine
  kConnectFailed,  // resolve, connect or send failed: nothing was answered
  kTimedOut,       // no answer within the time limit
  kServerError,    // the upstream answered 5xx
  kBroken,         // the answer was cut off or malformed
  kCancelled,      // the client went away (or the gateway stopped)
};

std::string_view AttemptOutcomeName(AttemptOutcome outcome);

// Whether the outcome counts against the upstream's circuit breaker.
bool IsUpstreamFailure(AttemptOutcome outcome);

struct RetryOptions {
  int max_attempts = 3;                    // upstreams tried per request at most, >= 1
  int64_t initial_backoff_micros = 1'000;  // before the second attempt
  double backoff_multiplier = 4.0;         // >= 1
  int64_t max_backoff_micros = 50'000;
  double jitter = 0.5;                     // the delay is scaled by a factor in [1 - j, 1 + j]
  int64_t budget_micros = 5'000'000;       // no retry starts later than this after arrival
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {});

  // Whether to try the next candidate after attempt number `attempts_made` (1 for the first)
  // ended with `outcome`, when `client_saw_bytes` tells whether any of the answer was sent on and
  // `elapsed_micros` have passed since the request arrived.
  bool ShouldRetry(AttemptOutcome outcome, bool client_saw_bytes, int attempts_made,
                   int64_t elapsed_micros) const;

  // The wait before attempt `attempts_made + 1`, µs.
  int64_t BackoffMicros(int attempts_made, base::Random& random) const;

  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
};

}  // namespace tokenfab::gateway
