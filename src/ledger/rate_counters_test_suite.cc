#include "rate_counters_test_suite.h"

#include <vector>

namespace tokenfab::ledger {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;  // a wall-clock origin, µs
constexpr int64_t kSecond = 1'000'000;

struct Step {
  int64_t at_micros;  // since kT0
  int64_t amount;
  bool taken;
  int64_t retry_after_micros;  // when refused
};

void RunTable(RateCounters& counters, const BucketSpec& bucket, const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = steps[i];
    const BucketTake take{bucket, s.amount};
    StatusOr<TakeResult> r = counters.TryTake({&take, 1}, kT0 + s.at_micros);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->taken, s.taken) << "step " << i;
    if (!s.taken) {
      EXPECT_EQ(r->retry_after_micros, s.retry_after_micros) << "step " << i;
    }
  }
}

TEST_P(RateCountersTest, RequestsPerMinuteTable) {
  const BucketSpec rpm{TenantCounterKey("acme", "rpm"), 60, 60 * kSecond};  // refills 1 per second
  std::vector<Step> steps;
  for (int i = 0; i < 60; ++i) steps.push_back({0, 1, true, 0});  // the full minute's burst
  steps.push_back({0, 1, false, kSecond});
  steps.push_back({kSecond / 2, 1, false, kSecond / 2});
  steps.push_back({kSecond, 1, true, 0});
  steps.push_back({kSecond, 1, false, kSecond});
  steps.push_back({11 * kSecond, 10, true, 0});  // 10 s refilled 10
  steps.push_back({11 * kSecond, 1, false, kSecond});
  steps.push_back({200 * kSecond, 60, true, 0});  // full again after a long pause, not more
  steps.push_back({200 * kSecond, 1, false, kSecond});
  RunTable(*counters_, rpm, steps);
}

TEST_P(RateCountersTest, TokensPerMinuteTableWithOddRates) {
  const BucketSpec tpm{TenantCounterKey("acme", "tpm"), 1000,
                       60 * kSecond};  // 1000 / 60 s: one token per 60 ms
  RunTable(*counters_, tpm,
           {
               {0, 900, true, 0},
               {0, 200, false, 6'000'000},  // 100 missing: 100 * 60 ms
               {1'000'000, 200, false, 5'000'000},
               {6'000'000, 200, true, 0},
               {6'000'000, 1, false, 60'000},
               {6'000'001, 1, false, 59'999},  // integer-exact: no drift
               {6'060'000, 1, true, 0},
               {6'060'000, 1001, false, -1},  // above capacity: never
           });
}

TEST_P(RateCountersTest, TakesFromSeveralBucketsAllOrNothing) {
  const BucketSpec rpm{TenantCounterKey("t", "rpm"), 10, 60 * kSecond};
  const BucketSpec tpm{TenantCounterKey("t", "tpm"), 100, 60 * kSecond};
  std::vector<BucketTake> takes = {{rpm, 1}, {tpm, 80}};
  StatusOr<TakeResult> r = counters_->TryTake(takes, kT0);
  ASSERT_TRUE(r.ok() && r->taken);
  // TPM has 20 left: a second request fails on tokens and must not spend a request.
  r = counters_->TryTake(takes, kT0);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->taken);
  EXPECT_EQ(r->limiting, 1);
  EXPECT_EQ(r->retry_after_micros, 36 * kSecond);  // 60 missing at 100 per 60 s
  // The RPM bucket still holds 9: nine single-token requests pass on both buckets.
  std::vector<BucketTake> small = {{rpm, 1}, {tpm, 1}};
  for (int i = 0; i < 9; ++i) {
    r = counters_->TryTake(small, kT0);
    ASSERT_TRUE(r.ok() && r->taken) << i;
  }
  r = counters_->TryTake(small, kT0);
  EXPECT_FALSE(r->taken);
  EXPECT_EQ(r->limiting, 0);
  EXPECT_EQ(r->retry_after_micros, 6 * kSecond);
}

TEST_P(RateCountersTest, AdjustRefundsUpToCapacityAndChargesIntoDebt) {
  const BucketSpec tpm{TenantCounterKey("adj", "tpm"), 100, 60 * kSecond};
  const BucketTake take{tpm, 100};
  ASSERT_TRUE(counters_->TryTake({&take, 1}, kT0)->taken);  // reserve 100
  ASSERT_TRUE(counters_->Adjust(tpm, -70, kT0).ok());       // used only 30
  RunTable(*counters_, tpm, {{0, 70, true, 0}, {0, 1, false, 600'000}});
  // Refund beyond capacity is capped.
  ASSERT_TRUE(counters_->Adjust(tpm, -1000, kT0).ok());
  RunTable(*counters_, tpm, {{0, 100, true, 0}, {0, 1, false, 600'000}});
  // Usage above the reservation is owed: 50 more puts the bucket at -50.
  ASSERT_TRUE(counters_->Adjust(tpm, 50, kT0).ok());
  RunTable(*counters_, tpm, {{0, 10, false, 36 * kSecond}});
}

TEST_P(RateCountersTest, BucketsAreIndependentPerKey) {
  const BucketSpec a{TenantCounterKey("a", "rpm"), 1, 60 * kSecond};
  const BucketSpec b{TenantCounterKey("b", "rpm"), 1, 60 * kSecond};
  RunTable(*counters_, a, {{0, 1, true, 0}, {0, 1, false, 60 * kSecond}});
  RunTable(*counters_, b, {{0, 1, true, 0}});
}

TEST_P(RateCountersTest, ClockSkewBackwardsNeitherRefillsNorBreaks) {
  const BucketSpec rpm{TenantCounterKey("skew", "rpm"), 2, 60 * kSecond};
  RunTable(*counters_, rpm,
           {{10 * kSecond, 2, true, 0},
            {5 * kSecond, 1, false, 30 * kSecond},
            {40 * kSecond, 1, true, 0}});
}

TEST_P(RateCountersTest, ConcurrencySlots) {
  EXPECT_TRUE(*counters_->AcquireSlot(TenantCounterKey("acme", "conc"), 2, "r1", kT0));
  EXPECT_TRUE(*counters_->AcquireSlot(TenantCounterKey("acme", "conc"), 2, "r2", kT0));
  EXPECT_FALSE(*counters_->AcquireSlot(TenantCounterKey("acme", "conc"), 2, "r3", kT0));
  EXPECT_TRUE(
      *counters_->AcquireSlot(TenantCounterKey("beta", "conc"), 2, "r3", kT0));  // other tenant
  ASSERT_TRUE(counters_->ReleaseSlot(TenantCounterKey("acme", "conc"), "r1").ok());
  ASSERT_TRUE(counters_->ReleaseSlot(TenantCounterKey("acme", "conc"), "r1").ok());  // twice: no-op
  EXPECT_TRUE(*counters_->AcquireSlot(TenantCounterKey("acme", "conc"), 2, "r3", kT0 + 1));
  EXPECT_FALSE(*counters_->AcquireSlot(TenantCounterKey("acme", "conc"), 2, "r4", kT0 + 2));
  // Leases of a gateway that died lapse after the lease TTL.
  EXPECT_FALSE(
      *counters_->AcquireSlot(TenantCounterKey("acme", "conc"), 2, "r4", kT0 + kLeaseTtl - 1));
  EXPECT_TRUE(
      *counters_->AcquireSlot(TenantCounterKey("acme", "conc"), 2, "r4", kT0 + kLeaseTtl + 1));
}

}  // namespace
}  // namespace tokenfab::ledger
