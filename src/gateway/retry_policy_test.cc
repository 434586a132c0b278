#include "tokenfab/gateway/retry_policy.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

TEST(RetryPolicyTest, RetriesOnlyUpstreamFailuresTheClientDidNotSee) {
  RetryPolicy policy({.max_attempts = 3, .budget_micros = 1'000'000});
  struct Case {
    AttemptOutcome outcome;
    bool retry;
  };
  for (const Case& c : {Case{AttemptOutcome::kConnectFailed, true},
                        Case{AttemptOutcome::kTimedOut, true},
                        Case{AttemptOutcome::kServerError, true},
                        Case{AttemptOutcome::kBroken, true},
                        Case{AttemptOutcome::kClientError, false},
                        Case{AttemptOutcome::kCancelled, false},
                        Case{AttemptOutcome::kSuccess, false}}) {
    EXPECT_EQ(policy.ShouldRetry(c.outcome, /*client_saw_bytes=*/false, 1, 0), c.retry)
        << AttemptOutcomeName(c.outcome);
    EXPECT_FALSE(policy.ShouldRetry(c.outcome, /*client_saw_bytes=*/true, 1, 0))
        << AttemptOutcomeName(c.outcome) << ": bytes already went out";
  }
}

TEST(RetryPolicyTest, BoundedByAttemptsAndTime) {
  RetryPolicy policy({.max_attempts = 3, .budget_micros = 1'000'000});
  EXPECT_TRUE(policy.ShouldRetry(AttemptOutcome::kServerError, false, 2, 0));
  EXPECT_FALSE(policy.ShouldRetry(AttemptOutcome::kServerError, false, 3, 0));
  EXPECT_TRUE(policy.ShouldRetry(AttemptOutcome::kServerError, false, 1, 999'999));
  EXPECT_FALSE(policy.ShouldRetry(AttemptOutcome::kServerError, false, 1, 1'000'000));
  RetryPolicy single({.max_attempts = 1});
  EXPECT_FALSE(single.ShouldRetry(AttemptOutcome::kConnectFailed, false, 1, 0));
}

TEST(RetryPolicyTest, BackoffGrowsGeometricallyWithinTheJitterAndCap) {
  RetryPolicy policy({.max_attempts = 10,
                      .initial_backoff_micros = 1'000,
                      .backoff_multiplier = 4,
                      .max_backoff_micros = 50'000,
                      .jitter = 0.5});
  base::Random random(7);
  const double bases[] = {1'000, 4'000, 16'000, 50'000, 50'000};
  for (int attempt = 1; attempt <= 5; ++attempt) {
    double low = 1e18, high = 0;
    for (int i = 0; i < 200; ++i) {
      const double d = static_cast<double>(policy.BackoffMicros(attempt, random));
      low = std::min(low, d);
      high = std::max(high, d);
    }
    const double base = bases[attempt - 1];
    EXPECT_GE(low, 0.5 * base - 1) << attempt;
    EXPECT_LE(high, 1.5 * base + 1) << attempt;
    EXPECT_LT(low, 0.7 * base) << "jitter spreads the delays";
    EXPECT_GT(high, 1.3 * base);
  }
  RetryPolicy fixed({.initial_backoff_micros = 2'000, .jitter = 0});
  EXPECT_EQ(fixed.BackoffMicros(1, random), 2'000);
}

TEST(RetryPolicyTest, UpstreamFailuresAreWhatTheBreakerCounts) {
  EXPECT_TRUE(IsUpstreamFailure(AttemptOutcome::kConnectFailed));
  EXPECT_TRUE(IsUpstreamFailure(AttemptOutcome::kServerError));
  EXPECT_TRUE(IsUpstreamFailure(AttemptOutcome::kTimedOut));
  EXPECT_TRUE(IsUpstreamFailure(AttemptOutcome::kBroken));
  EXPECT_FALSE(IsUpstreamFailure(AttemptOutcome::kClientError));
  EXPECT_FALSE(IsUpstreamFailure(AttemptOutcome::kCancelled));
  EXPECT_FALSE(IsUpstreamFailure(AttemptOutcome::kSuccess));
}

}  // namespace
}  // namespace tokenfab::gateway
