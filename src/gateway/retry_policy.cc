#include "tokenfab/gateway/retry_policy.h"

#include <algorithm>
#include <cmath>

#include "tokenfab/base/check.h"

namespace tokenfab::gateway {

std::string_view AttemptOutcomeName(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kSuccess:
      return "success";
    case AttemptOutcome::kClientError:
      return "client_error";
    case AttemptOutcome::kConnectFailed:
      return "connect_failed";
    case AttemptOutcome::kTimedOut:
      return "timed_out";
    case AttemptOutcome::kServerError:
      return "server_error";
    case AttemptOutcome::kBroken:
      return "broken";
    case AttemptOutcome::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

bool IsUpstreamFailure(AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kConnectFailed:
    case AttemptOutcome::kTimedOut:
    case AttemptOutcome::kServerError:
    case AttemptOutcome::kBroken:
      return true;
    case AttemptOutcome::kSuccess:
    case AttemptOutcome::kClientError:
    case AttemptOutcome::kCancelled:
      return false;
  }
  return false;
}

RetryPolicy::RetryPolicy(RetryOptions options) : options_(options) {
  TF_CHECK(options_.max_attempts >= 1 && options_.backoff_multiplier >= 1 &&
           options_.jitter >= 0 && options_.jitter <= 1 && options_.initial_backoff_micros >= 0 &&
           options_.max_backoff_micros >= 0)
      << "bad retry options";
}

bool RetryPolicy::ShouldRetry(AttemptOutcome outcome, bool client_saw_bytes, int attempts_made,
                              int64_t elapsed_micros) const {
  if (client_saw_bytes) return false;
  if (attempts_made >= options_.max_attempts) return false;
  if (elapsed_micros >= options_.budget_micros) return false;
  return IsUpstreamFailure(outcome);
}

int64_t RetryPolicy::BackoffMicros(int attempts_made, base::Random& random) const {
  const double exponent = std::max(0, attempts_made - 1);
  const double base = std::min<double>(
      static_cast<double>(options_.max_backoff_micros),
      static_cast<double>(options_.initial_backoff_micros) *
          std::pow(options_.backoff_multiplier, exponent));
  const double factor = 1.0 + options_.jitter * (2.0 * random.Uniform() - 1.0);
  return static_cast<int64_t>(std::llround(base * factor));
}

}  // namespace tokenfab::gateway
