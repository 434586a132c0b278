#include "tokenfab/fleet/upstream_state.h"

#include <gtest/gtest.h>

namespace tokenfab::fleet {
namespace {

TEST(BlockHashSetTest, ContainsAndDeduplicates) {
  BlockHashSet set({30, 10, 20, 10});
  EXPECT_EQ(set.size(), 3u);
  EXPECT_TRUE(set.Contains(10));
  EXPECT_TRUE(set.Contains(30));
  EXPECT_FALSE(set.Contains(15));
  EXPECT_EQ(BlockHashSet().size(), 0u);
}

TEST(BlockHashSetTest, LeadingMatchStopsAtTheFirstMiss) {
  BlockHashSet set({1, 2, 3, 5});
  const std::vector<uint64_t> chain = {1, 2, 3, 4, 5};
  EXPECT_EQ(set.LeadingMatch(chain), 3u);  // block 5 is cached but 4 is not: unusable
  EXPECT_EQ(set.LeadingMatch(std::vector<uint64_t>{1, 2}), 2u);
  EXPECT_EQ(set.LeadingMatch(std::vector<uint64_t>{9, 1}), 0u);
  EXPECT_EQ(set.LeadingMatch({}), 0u);
}

TEST(UpstreamStateTest, DefaultsMeanUnknown) {
  UpstreamState state;
  EXPECT_TRUE(state.healthy);
  EXPECT_EQ(state.circuit, CircuitState::kClosed);
  EXPECT_LT(state.queue_delay_ms, 0);
  EXPECT_LT(state.rtt_ms, 0);
  EXPECT_EQ(state.cached_blocks, nullptr);
  state.running = 3;
  state.waiting = 4;
  EXPECT_EQ(state.outstanding(), 7);
  EXPECT_EQ(CircuitStateName(CircuitState::kHalfOpen), "half-open");
}

}  // namespace
}  // namespace tokenfab::fleet
