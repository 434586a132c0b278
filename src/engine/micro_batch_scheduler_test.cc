#include "engine/micro_batch_scheduler.h"

#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::engine {
namespace {

struct Planned {
  int index;
  int tokens;
  bool operator==(const Planned&) const = default;
};

std::vector<Planned> Plan(int budget, int chunk, const std::vector<MicroBatchCandidate>& c) {
  std::vector<Planned> out;
  for (const MicroBatchEntry& e : MicroBatchScheduler(budget, chunk).Plan(c)) {
    out.push_back({e.index, e.num_tokens});
  }
  return out;
}

TEST(MicroBatchSchedulerTest, DecodesGoFirstThenPrefillChunksInOrder) {
  // Order is priority order: a prefill ahead of two decodes still waits for them.
  const std::vector<MicroBatchCandidate> c = {{100, false}, {1, true}, {30, false}, {1, true}};
  EXPECT_EQ(Plan(16, 8, c), (std::vector<Planned>{{1, 1}, {3, 1}, {0, 8}, {2, 6}}));
}

TEST(MicroBatchSchedulerTest, ChunkSizeLimitsEachPrompt) {
  const std::vector<MicroBatchCandidate> c = {{10, false}, {10, false}, {10, false}};
  EXPECT_EQ(Plan(100, 4, c), (std::vector<Planned>{{0, 4}, {1, 4}, {2, 4}}));
  EXPECT_EQ(Plan(100, 100, c), (std::vector<Planned>{{0, 10}, {1, 10}, {2, 10}}));
}

TEST(MicroBatchSchedulerTest, BudgetIsNeverExceeded) {
  const std::vector<MicroBatchCandidate> c = {{1, true}, {1, true}, {50, false}, {3, false}};
  EXPECT_EQ(Plan(3, 3, c), (std::vector<Planned>{{0, 1}, {1, 1}, {2, 1}}));
  EXPECT_EQ(Plan(2, 2, c), (std::vector<Planned>{{0, 1}, {1, 1}}));
  // A prompt's last tokens fit exactly.
  EXPECT_EQ(Plan(5, 5, {{3, false}, {2, false}}), (std::vector<Planned>{{0, 3}, {1, 2}}));
}

}  // namespace
}  // namespace tokenfab::engine
