#include "tokenfab/ledger/failover_counters.h"

#include <atomic>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::ledger {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000;

// Shared counters that can be made unreachable (or broken) by the test.
class FlakyCounters final : public RateCounters {
 public:
  Status Fault() const {
    if (broken) return absl::InternalError("script error");
    if (down) return absl::UnavailableError("connection refused");
    return absl::OkStatus();
  }
  StatusOr<TakeResult> TryTake(std::span<const BucketTake> takes, int64_t now) override {
    TF_RETURN_IF_ERROR(Fault());
    return inner.TryTake(takes, now);
  }
  Status Adjust(const BucketSpec& bucket, int64_t delta, int64_t now) override {
    TF_RETURN_IF_ERROR(Fault());
    return inner.Adjust(bucket, delta, now);
  }
  StatusOr<bool> AcquireSlot(std::string_view key, int64_t limit, std::string_view lease,
                             int64_t now) override {
    TF_RETURN_IF_ERROR(Fault());
    return inner.AcquireSlot(key, limit, lease, now);
  }
  Status ReleaseSlot(std::string_view key, std::string_view lease) override {
    TF_RETURN_IF_ERROR(Fault());
    return inner.ReleaseSlot(key, lease);
  }

  std::atomic<bool> down{false};
  std::atomic<bool> broken{false};
  LocalCounters inner;
};

struct Harness {
  FlakyCounters* shared;
  std::unique_ptr<FailoverCounters> counters;
  std::vector<bool> states;

  Harness(RedisDownPolicy policy, int64_t retry_micros) {
    auto flaky = std::make_unique<FlakyCounters>();
    shared = flaky.get();
    counters = std::make_unique<FailoverCounters>(
        std::move(flaky),
        FailoverOptions{.policy = policy, .gateway_count = 3, .retry_micros = retry_micros});
    counters->SetListener([this](bool up) { states.push_back(up); });
  }
  bool Take(const BucketSpec& bucket) {
    const BucketTake take{bucket, 1};
    StatusOr<TakeResult> r = counters->TryTake({&take, 1}, kT0);
    return r.ok() && r->taken;
  }
};

TEST(FailoverCountersTest, LocalPolicyHoldsAThirdOfEachQuotaWhileDown) {
  Harness h(RedisDownPolicy::kLocal, 60'000'000);  // no retry within the test
  const BucketSpec rpm{TenantCounterKey("acme", "rpm"), 9, 60'000'000};
  ASSERT_TRUE(h.Take(rpm));  // on the shared counters
  h.shared->down = true;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(h.Take(rpm)) << i;
  EXPECT_FALSE(h.Take(rpm));  // 9 / 3 gateways
  const std::string conc = TenantCounterKey("acme", "conc");
  EXPECT_TRUE(*h.counters->AcquireSlot(conc, 6, "a", kT0));
  EXPECT_TRUE(*h.counters->AcquireSlot(conc, 6, "b", kT0));
  EXPECT_FALSE(*h.counters->AcquireSlot(conc, 6, "c", kT0));
  ASSERT_TRUE(h.counters->ReleaseSlot(conc, "a").ok());
  EXPECT_TRUE(*h.counters->AcquireSlot(conc, 6, "c", kT0));
  EXPECT_FALSE(h.counters->up());
  // The shared counters saw none of it.
  EXPECT_EQ(h.shared->inner.Level(rpm, kT0), 8);
  EXPECT_EQ(h.states, (std::vector<bool>{true, false}));
}

TEST(FailoverCountersTest, ReturnsToTheSharedCountersOnceTheyAnswer) {
  Harness h(RedisDownPolicy::kLocal, 0);  // every call may try again
  const BucketSpec rpm{TenantCounterKey("acme", "rpm"), 3, 60'000'000};
  h.shared->down = true;
  EXPECT_TRUE(h.Take(rpm));
  EXPECT_FALSE(h.Take(rpm));  // local share: 1
  h.shared->down = false;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(h.Take(rpm)) << i;  // the shared bucket, full
  EXPECT_TRUE(h.counters->up());
  EXPECT_EQ(h.states, (std::vector<bool>{true, false, true}));
}

TEST(FailoverCountersTest, FailClosedReturnsTheOutage) {
  Harness h(RedisDownPolicy::kFailClosed, 0);
  h.shared->down = true;
  const BucketTake take{{TenantCounterKey("acme", "rpm"), 3, 60'000'000}, 1};
  EXPECT_TRUE(absl::IsUnavailable(h.counters->TryTake({&take, 1}, kT0).status()));
  EXPECT_TRUE(absl::IsUnavailable(
      h.counters->AcquireSlot(TenantCounterKey("acme", "conc"), 5, "a", kT0).status()));
  EXPECT_FALSE(h.counters->up());
}

TEST(FailoverCountersTest, OtherErrorsAreNotAnOutage) {
  Harness h(RedisDownPolicy::kLocal, 0);
  h.shared->broken = true;
  const BucketTake take{{TenantCounterKey("acme", "rpm"), 3, 60'000'000}, 1};
  EXPECT_TRUE(absl::IsInternal(h.counters->TryTake({&take, 1}, kT0).status()));
  EXPECT_TRUE(h.counters->up());
  EXPECT_EQ(h.states, (std::vector<bool>{true}));
}

}  // namespace
}  // namespace tokenfab::ledger
