#include "slo_queue.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using ::testing::ElementsAre;

constexpr int64_t kMs = 1000;

// A waiter that logs its name when asked and when it expires; `fits` says whether it can go.
struct Log {
  std::vector<std::string> asked;
  std::vector<std::string> expired;
  std::vector<int> retry_after;
};

SloWaiter Waiter(Log& log, std::string name, std::string tenant, int32_t priority,
                 int64_t latest_start_ms, const bool* fits = nullptr) {
  SloWaiter w;
  w.tenant = std::move(tenant);
  w.priority = priority;
  w.latest_start_us = latest_start_ms * kMs;
  w.try_release = [&log, name, fits](int64_t) {
    log.asked.push_back(name);
    return fits == nullptr || *fits;
  };
  w.expire = [&log, name](int retry_after_s) {
    log.expired.push_back(name);
    log.retry_after.push_back(retry_after_s);
  };
  return w;
}

SloWaiter Banded(Log& log, std::string name, WorkBand band, int32_t priority,
                 int64_t latest_start_ms, const bool* fits = nullptr) {
  SloWaiter w = Waiter(log, std::move(name), "t", priority, latest_start_ms, fits);
  w.band = band;
  return w;
}

constexpr int64_t kMinuteMs = 60'000;

TEST(SloQueueTest, InteractiveGoesBeforeFlexWhateverTheirPriorityAndDeadline) {
  SloQueue queue;
  Log log;
  // The flex request has the earlier deadline and a higher number than the interactive tier.
  ASSERT_EQ(queue.Offer(Banded(log, "flex", WorkBand::kFlex, 5, 100), 0, 0).verdict,
            SloVerdict::kQueued);
  ASSERT_EQ(queue.Offer(Banded(log, "interactive", WorkBand::kInteractive, 0, 900), 0, 0).verdict,
            SloVerdict::kQueued);
  EXPECT_EQ(queue.Pump(10 * kMs, 0), 2u);
  EXPECT_THAT(log.asked, ElementsAre("interactive", "flex"));
}

TEST(SloQueueTest, FlexGoesBeforeBatchUnlessTheBatchsDeadlineIsNear) {
  SloQueue queue({.batch_urgent_us = 60 * kMinuteMs * kMs});
  Log log;
  // Same priority. The batch's deadline is earlier than the flex request's, but 2 h away.
  ASSERT_EQ(queue.Offer(Banded(log, "batch", WorkBand::kBatch, -1, 120 * kMinuteMs), 0, 0).verdict,
            SloVerdict::kQueued);
  ASSERT_EQ(queue.Offer(Banded(log, "flex", WorkBand::kFlex, -1, 180 * kMinuteMs), 0, 0).verdict,
            SloVerdict::kQueued);
  EXPECT_EQ(queue.Pump(0, 0), 2u);
  EXPECT_THAT(log.asked, ElementsAre("flex", "batch"));

  // 30 min before its deadline a batch goes before a flex request that must start sooner.
  SloQueue near({.batch_urgent_us = 60 * kMinuteMs * kMs});
  Log near_log;
  ASSERT_EQ(near.Offer(Banded(near_log, "flex", WorkBand::kFlex, -1, 10 * kMinuteMs), 0, 0).verdict,
            SloVerdict::kQueued);
  ASSERT_EQ(
      near.Offer(Banded(near_log, "batch", WorkBand::kBatch, -1, 30 * kMinuteMs), 0, 0).verdict,
      SloVerdict::kQueued);
  EXPECT_EQ(near.Pump(0, 0), 2u);
  EXPECT_THAT(near_log.asked, ElementsAre("batch", "flex"));
}

TEST(SloQueueTest, AWaitingInteractiveRequestHoldsBackFlexUntilItGoes) {
  SloQueue queue;
  Log log;
  bool interactive_fits = false;
  ASSERT_EQ(
      queue
          .Offer(Banded(log, "interactive", WorkBand::kInteractive, 0, 1000, &interactive_fits), 0,
                 0)
          .verdict,
      SloVerdict::kQueued);
  ASSERT_EQ(
      queue.Offer(Banded(log, "other-interactive", WorkBand::kInteractive, 0, 2000), 0, 0).verdict,
      SloVerdict::kQueued);
  ASSERT_EQ(queue.Offer(Banded(log, "flex", WorkBand::kFlex, -1, 5000), 0, 0).verdict,
            SloVerdict::kQueued);
  // The first interactive request stays: the other interactive one may still go, flex may not.
  EXPECT_EQ(queue.Pump(10 * kMs, 0), 1u);
  EXPECT_THAT(log.asked, ElementsAre("interactive", "other-interactive"));
  interactive_fits = true;
  EXPECT_EQ(queue.Pump(20 * kMs, 0), 2u);
  EXPECT_THAT(log.asked, ElementsAre("interactive", "other-interactive", "interactive", "flex"));
}

TEST(SloQueueTest, ABatchLineTakesRoomOnlyWhenNothingWaitsAheadOfIt) {
  SloQueue queue({.batch_urgent_us = 60 * kMinuteMs * kMs});
  Log log;
  SloWaiter batch = Banded(log, "batch", WorkBand::kBatch, -1, 120 * kMinuteMs);
  EXPECT_FALSE(queue.AheadOf(batch, 0));
  ASSERT_EQ(queue.Offer(Banded(log, "flex", WorkBand::kFlex, -1, 200 * kMinuteMs), 0, 0).verdict,
            SloVerdict::kQueued);
  EXPECT_TRUE(queue.AheadOf(batch, 0)) << "a waiting flex request goes first";
  // Near its deadline the batch goes before flex, but never before interactive.
  SloWaiter urgent = Banded(log, "urgent", WorkBand::kBatch, -1, 30 * kMinuteMs);
  EXPECT_FALSE(queue.AheadOf(urgent, 0));
  ASSERT_EQ(
      queue.Offer(Banded(log, "interactive", WorkBand::kInteractive, 0, 300 * kMinuteMs), 0, 0)
          .verdict,
      SloVerdict::kQueued);
  EXPECT_TRUE(queue.AheadOf(urgent, 0));
}

TEST(SloQueueTest, AFullQueueMakesWayForInteractiveByExpiringTheLastWaiter) {
  SloQueue queue({.max_queued = 2, .max_per_tenant = 8});
  Log log;
  ASSERT_EQ(queue.Offer(Banded(log, "flex", WorkBand::kFlex, -1, 5000), 0, 0).verdict,
            SloVerdict::kQueued);
  ASSERT_EQ(queue.Offer(Banded(log, "interactive", WorkBand::kInteractive, 0, 1000), 0, 0).verdict,
            SloVerdict::kQueued);
  // Full of work that goes before it: a flex request is refused as before.
  EXPECT_EQ(queue.Offer(Banded(log, "flex-2", WorkBand::kFlex, -1, 9000), 0, 0).verdict,
            SloVerdict::kSaturated);
  // An interactive request goes before the waiting flex one, which expires to make way.
  const SloOffer offer =
      queue.Offer(Banded(log, "interactive-2", WorkBand::kInteractive, 0, 2000), 0, 0);
  EXPECT_EQ(offer.verdict, SloVerdict::kQueued);
  EXPECT_THAT(log.expired, ElementsAre("flex"));
  EXPECT_EQ(queue.size(), 2u);
  EXPECT_EQ(queue.queued_for("t"), 2u);
  EXPECT_EQ(queue.Pump(10 * kMs, 0), 2u);
  EXPECT_THAT(log.asked, ElementsAre("interactive", "interactive-2"));
}

TEST(SloQueueTest, ReleasesByPriorityThenDeadline) {
  SloQueue queue;
  Log log;
  EXPECT_EQ(queue.Offer(Waiter(log, "a-low", "a", 0, 1000), 0, 0).verdict, SloVerdict::kQueued);
  EXPECT_EQ(queue.Offer(Waiter(log, "b-high-late", "b", 1, 2000), 0, 0).verdict,
            SloVerdict::kQueued);
  EXPECT_EQ(queue.Offer(Waiter(log, "c-high-soon", "c", 1, 1500), 0, 0).verdict,
            SloVerdict::kQueued);
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.Pump(10 * kMs, 0), 3u);
  EXPECT_THAT(log.asked, ElementsAre("c-high-soon", "b-high-late", "a-low"));
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_TRUE(log.expired.empty());
}

TEST(SloQueueTest, WaitsUntilCapacityFrees) {
  SloQueue queue;
  Log log;
  bool fits = false;
  ASSERT_EQ(queue.Offer(Waiter(log, "r", "a", 0, 1000, &fits), 0, 200 * kMs).verdict,
            SloVerdict::kQueued);
  EXPECT_EQ(queue.Pump(100 * kMs, 100 * kMs), 0u);
  EXPECT_EQ(queue.size(), 1u);
  fits = true;  // the fleet drained
  EXPECT_EQ(queue.Pump(200 * kMs, 0), 1u);
  EXPECT_THAT(log.asked, ElementsAre("r", "r"));
  EXPECT_EQ(queue.size(), 0u);
  EXPECT_EQ(queue.queued_for("a"), 0u);
}

TEST(SloQueueTest, ExpiresPastTheLatestStartWithRetryAfterFromTheDrain) {
  SloQueue queue;
  Log log;
  bool fits = false;
  ASSERT_EQ(queue.Offer(Waiter(log, "soon", "a", 0, 100, &fits), 0, 50 * kMs).verdict,
            SloVerdict::kQueued);
  ASSERT_EQ(queue.Offer(Waiter(log, "later", "a", 0, 900, &fits), 0, 50 * kMs).verdict,
            SloVerdict::kQueued);
  EXPECT_EQ(queue.Pump(100 * kMs, 2'400 * kMs), 0u) << "at its latest start it may still go";
  EXPECT_EQ(queue.Pump(101 * kMs, 2'400 * kMs), 1u);
  EXPECT_THAT(log.expired, ElementsAre("soon"));
  EXPECT_THAT(log.retry_after, ElementsAre(3));  // 2.4 s of drain: retry after 3 s
  EXPECT_THAT(log.asked, ElementsAre("soon", "later", "later"));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(SloQueueTest, TenantLimitIs429AndAFullQueueOrAnUnmeetableDeadline503) {
  SloQueue queue({.max_queued = 3, .max_per_tenant = 2});
  Log log;
  EXPECT_EQ(queue.Offer(Waiter(log, "a1", "a", 0, 1000), 0, 300 * kMs).verdict,
            SloVerdict::kQueued);
  EXPECT_EQ(queue.Offer(Waiter(log, "a2", "a", 0, 1000), 0, 300 * kMs).verdict,
            SloVerdict::kQueued);
  const SloOffer a3 = queue.Offer(Waiter(log, "a3", "a", 0, 1000), 0, 300 * kMs);
  EXPECT_EQ(a3.verdict, SloVerdict::kTenantLimit);
  EXPECT_EQ(a3.http_status, 429);
  EXPECT_EQ(a3.retry_after_s, 1);
  EXPECT_EQ(queue.Offer(Waiter(log, "b1", "b", 0, 1000), 0, 300 * kMs).verdict,
            SloVerdict::kQueued);
  const SloOffer c1 = queue.Offer(Waiter(log, "c1", "c", 0, 5000), 0, 1'500 * kMs);
  EXPECT_EQ(c1.verdict, SloVerdict::kSaturated);  // the queue is full
  EXPECT_EQ(c1.http_status, 503);
  EXPECT_EQ(c1.retry_after_s, 2);
  EXPECT_EQ(queue.size(), 3u);
  EXPECT_EQ(queue.queued_for("a"), 2u);

  SloQueue roomy;
  // 600 ms to drain, but it must start within 500 ms: waiting cannot help.
  const SloOffer late = roomy.Offer(Waiter(log, "late", "d", 0, 500), 0, 600 * kMs);
  EXPECT_EQ(late.verdict, SloVerdict::kSaturated);
  EXPECT_EQ(late.http_status, 503);
  EXPECT_EQ(late.retry_after_s, 1);
  EXPECT_EQ(roomy.size(), 0u);
}

TEST(SloQueueTest, RetryAfterRoundsTheDrainUp) {
  EXPECT_EQ(RetryAfterSeconds(-5), 1);
  EXPECT_EQ(RetryAfterSeconds(0), 1);
  EXPECT_EQ(RetryAfterSeconds(1), 1);
  EXPECT_EQ(RetryAfterSeconds(1'000'000), 1);
  EXPECT_EQ(RetryAfterSeconds(1'000'001), 2);
  EXPECT_EQ(RetryAfterSeconds(2'500'000), 3);
}

}  // namespace
}  // namespace tokenfab::gateway
