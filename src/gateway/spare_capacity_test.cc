#include "spare_capacity.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using ledger::ServiceTier;

TEST(SpareCapacityTest, TheRequestedTierDecidesPriorityAndPrice) {
  ledger::Tier standard;
  standard.priority = 1;
  for (const char* asked : {"auto", "default"}) {
    const TierDecision d = DecideServiceTier(asked, standard);
    EXPECT_EQ(d.served, ServiceTier::kDefault) << asked;
    EXPECT_EQ(d.billed, ServiceTier::kDefault) << asked;
    EXPECT_EQ(d.priority, 1) << asked;
  }
  const TierDecision flex = DecideServiceTier("flex", standard);
  EXPECT_EQ(flex.served, ServiceTier::kFlex);
  EXPECT_EQ(flex.billed, ServiceTier::kFlex);
  EXPECT_LT(flex.priority, 0);  // below every tier's own traffic
  const TierDecision priority = DecideServiceTier("priority", standard);
  EXPECT_EQ(priority.served, ServiceTier::kPriority);
  EXPECT_EQ(priority.priority, 2);
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

}  // namespace
}  // namespace tokenfab::gateway
