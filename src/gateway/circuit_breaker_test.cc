#include "tokenfab/gateway/circuit_breaker.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using fleet::CircuitState;

CircuitBreakerOptions Options() {
  CircuitBreakerOptions o;
  o.failure_threshold = 3;
  o.open_micros = 1'000'000;
  o.backoff_factor = 2;
  o.max_open_micros = 3'000'000;
  o.half_open_probes = 1;
  o.success_threshold = 2;
  return o;
}

TEST(CircuitBreakerTest, OpensAfterConsecutiveFailuresOnly) {
  base::ManualClock clock;
  CircuitBreaker breaker(clock, Options());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker.TryAcquire());
    breaker.RecordFailure();
  }
  ASSERT_TRUE(breaker.TryAcquire());
  breaker.RecordSuccess();  // resets the run
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(breaker.TryAcquire());
    breaker.RecordFailure();
  }
  EXPECT_EQ(breaker.State(), CircuitState::kClosed);
  ASSERT_TRUE(breaker.TryAcquire());
  breaker.RecordFailure();
  EXPECT_EQ(breaker.State(), CircuitState::kOpen);
  EXPECT_FALSE(breaker.TryAcquire());
  EXPECT_EQ(breaker.times_opened(), 1);
}

TEST(CircuitBreakerTest, HalfOpenLetsOneProbeAndClosesAfterEnoughSuccesses) {
  base::ManualClock clock;
  CircuitBreaker breaker(clock, Options());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.TryAcquire());
    breaker.RecordFailure();
  }
  clock.Advance(999'999);
  EXPECT_EQ(breaker.State(), CircuitState::kOpen);
  clock.Advance(1);
  EXPECT_EQ(breaker.State(), CircuitState::kHalfOpen);
  ASSERT_TRUE(breaker.TryAcquire());
  EXPECT_FALSE(breaker.TryAcquire()) << "one probe at a time";
  breaker.RecordSuccess();
  EXPECT_EQ(breaker.State(), CircuitState::kHalfOpen) << "needs two successes";
  ASSERT_TRUE(breaker.TryAcquire());
  breaker.RecordSuccess();
  EXPECT_EQ(breaker.State(), CircuitState::kClosed);
  EXPECT_TRUE(breaker.TryAcquire());
  EXPECT_TRUE(breaker.TryAcquire());
}

TEST(CircuitBreakerTest, FailedProbeReopensForLongerUpToTheMaximum) {
  base::ManualClock clock;
  CircuitBreaker breaker(clock, Options());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.TryAcquire());
    breaker.RecordFailure();
  }
  const int64_t expected_periods[] = {2'000'000, 3'000'000, 3'000'000};
  clock.Advance(1'000'000);
  for (int64_t period : expected_periods) {
    ASSERT_EQ(breaker.State(), CircuitState::kHalfOpen);
    ASSERT_TRUE(breaker.TryAcquire());
    breaker.RecordFailure();
    EXPECT_EQ(breaker.State(), CircuitState::kOpen);
    clock.Advance(period - 1);
    EXPECT_EQ(breaker.State(), CircuitState::kOpen) << period;
    clock.Advance(1);
  }
  // A success closes it and the open period starts over.
  ASSERT_TRUE(breaker.TryAcquire());
  breaker.RecordSuccess();
  ASSERT_TRUE(breaker.TryAcquire());
  breaker.RecordSuccess();
  ASSERT_EQ(breaker.State(), CircuitState::kClosed);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.TryAcquire());
    breaker.RecordFailure();
  }
  clock.Advance(1'000'000);
  EXPECT_EQ(breaker.State(), CircuitState::kHalfOpen);
}

TEST(CircuitBreakerTest, NeutralOutcomeFreesTheProbeWithoutDeciding) {
  base::ManualClock clock;
  CircuitBreaker breaker(clock, Options());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(breaker.TryAcquire());
    breaker.RecordFailure();
  }
  clock.Advance(1'000'000);
  ASSERT_TRUE(breaker.TryAcquire());
  breaker.RecordNeutral();  // the client left: nothing learned
  EXPECT_EQ(breaker.State(), CircuitState::kHalfOpen);
  EXPECT_TRUE(breaker.TryAcquire());
}

}  // namespace
}  // namespace tokenfab::gateway
