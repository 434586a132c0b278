#include "spare_capacity.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using ledger::ServiceTier;

TEST(SpareCapacityTest, TheRequestedTierDecidesPriorityAndPrice) {
  ledger::Tier standard;
  standard.priority = 1;
  for (const char* asked : {"auto", "default"}) {
    const TierDecision d = DecideServiceTier(asked, standard, false);
    EXPECT_EQ(d.served, ServiceTier::kDefault) << asked;
    EXPECT_EQ(d.billed, ServiceTier::kDefault) << asked;
    EXPECT_EQ(d.priority, 1) << asked;
  }
  const TierDecision flex = DecideServiceTier("flex", standard, false);
  EXPECT_EQ(flex.served, ServiceTier::kFlex);
  EXPECT_EQ(flex.billed, ServiceTier::kFlex);
  EXPECT_LT(flex.priority, 0);  // below every tier's own traffic
  const TierDecision priority = DecideServiceTier("priority", standard, false);
  EXPECT_EQ(priority.served, ServiceTier::kPriority);
  EXPECT_EQ(priority.priority, 2);
}

TEST(SpareCapacityTest, ABatchLineIsServedAsFlexAndBilledAtTheBatchPrice) {
  ledger::Tier premium;
  premium.priority = 2;
  // Whatever the line's body asks for.
  for (const char* asked : {"auto", "priority"}) {
    const TierDecision d = DecideServiceTier(asked, premium, true);
    EXPECT_EQ(d.served, ServiceTier::kFlex);
    EXPECT_EQ(d.billed, ServiceTier::kBatch);
    EXPECT_EQ(d.priority, kFlexPriority);
  }
}

TEST(SpareCapacityTest, BatchConcurrencyFillsFreeSlotsAndSpeedsUpNearTheDeadline) {
  // Early in the window: what is in flight plus the free slots, capped.
  EXPECT_EQ(BatchConcurrency(3, 2, 0.1, 64), 5);
  EXPECT_EQ(BatchConcurrency(100, 2, 0.1, 64), 64);
  // No room: one line at a time until half the window is gone...
  EXPECT_EQ(BatchConcurrency(0, 0, 0.4, 64), 1);
  // ...then a floor growing to the cap at the deadline.
  EXPECT_EQ(BatchConcurrency(0, 0, 0.75, 64), 32);
  EXPECT_EQ(BatchConcurrency(0, 0, 1.0, 64), 64);
  EXPECT_EQ(BatchConcurrency(0, 0, 3.0, 64), 64);
  EXPECT_EQ(BatchConcurrency(5, 0, 0.5, 0), 0);
}

TEST(SpareCapacityTest, TheInFlightCapIsTheFleetsSlotsUnlessConfigured) {
  // Three nodes of 256 slots: the cap is all of them, not the 256 one cheap site holds.
  const std::vector<int32_t> three = {256, 256, 256};
  EXPECT_EQ(BatchInFlightCap(0, three), 768);
  // An unreported limit counts kDefaultSlots.
  const std::vector<int32_t> unreported = {256, 0};
  EXPECT_EQ(BatchInFlightCap(0, unreported), 256 + kDefaultSlots);
  EXPECT_EQ(BatchInFlightCap(64, three), 64);
}

TEST(SpareCapacityTest, FreeSlotsOnlyOnAHealthyIdleUpstream) {
  fleet::UpstreamState state;
  state.healthy = true;
  EXPECT_EQ(FreeSlots(state, 4), 4);
  EXPECT_EQ(FreeSlots(state, 0), kDefaultSlots);
  state.running = 3;
  EXPECT_EQ(FreeSlots(state, 4), 1);
  state.running = 0;
  state.waiting = 1;
  EXPECT_EQ(FreeSlots(state, 4), 0);  // it queues: no room
  state.waiting = 0;
  state.healthy = false;
  EXPECT_EQ(FreeSlots(state, 4), 0);
}

TEST(SpareCapacityTest, SlotUseIsRunningOverTheSumOfTheLimits) {
  EXPECT_EQ(SlotUse{}.Ratio(), 0.0);  // a site without upstreams
  SlotUse site;
  fleet::UpstreamState a;
  a.running = 3;
  site.Add(a, 4);
  fleet::UpstreamState b;
  b.running = 1;
  site.Add(b, 12);
  EXPECT_DOUBLE_EQ(site.Ratio(), 4.0 / 16);  // not the mean of 3/4 and 1/12
  fleet::UpstreamState unreported;
  unreported.running = 2;
  site.Add(unreported, 0);  // counts kDefaultSlots
  EXPECT_DOUBLE_EQ(site.Ratio(), 6.0 / (16 + kDefaultSlots));
  SlotUse over;
  fleet::UpstreamState busy;
  busy.running = 9;
  busy.waiting = 5;
  over.Add(busy, 6);
  EXPECT_DOUBLE_EQ(over.Ratio(), 1.0);  // running past the limit counts as full
}

}  // namespace
}  // namespace tokenfab::gateway
