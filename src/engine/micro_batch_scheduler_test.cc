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

std::vector<Planned> Plan(int budget, int chunk, const std::vector<MicroBatchCandidate>& c,
                          const StepTimeLimit* limit = nullptr) {
  std::vector<Planned> out;
  for (const MicroBatchEntry& e : MicroBatchScheduler(budget, chunk).Plan(c, limit)) {
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

// Only attention costs: a step's time is the number of K/V positions its tokens read, 1 µs each.
StepTimeLimit AttentionOnly(double limit_us, int min_prefill) {
  StepTimeLimit limit;
  limit.model.per_kv_token_us = 1;
  limit.limit_us = limit_us;
  limit.min_prefill_tokens = min_prefill;
  return limit;
}

TEST(MicroBatchSchedulerTest, StepTimeLimitCutsPrefillToWhatTheDecodesLeave) {
  // The decode at position 99 reads 100 positions, leaving 1,000 µs. A prompt from position 0
  // fits 44 tokens (44 * 45 / 2 = 990 reads; 45 tokens would read 1,035).
  const StepTimeLimit limit = AttentionOnly(1100, 1);
  EXPECT_EQ(Plan(2048, 2048, {{1, true, 99}, {500, false, 0}}, &limit),
            (std::vector<Planned>{{0, 1}, {1, 44}}));
  // From position 100, 9 tokens read 9 * 100 + 45 = 945 positions; 10 would read 1,055.
  EXPECT_EQ(Plan(2048, 2048, {{1, true, 99}, {500, false, 100}}, &limit),
            (std::vector<Planned>{{0, 1}, {1, 9}}));
  // Without the limit the prompt takes the whole remaining budget.
  EXPECT_EQ(Plan(2048, 2048, {{1, true, 99}, {500, false, 100}}),
            (std::vector<Planned>{{0, 1}, {1, 500}}));
}

TEST(MicroBatchSchedulerTest, StepTimeLimitIsSharedByPromptsInOrder) {
  // 1,000 µs left after the decode: the first prompt takes 44 tokens (990 reads), the second
  // what the last 10 µs hold: 4 tokens from position 0 read 1 + 2 + 3 + 4 = 10 positions.
  const StepTimeLimit limit = AttentionOnly(1100, 1);
  EXPECT_EQ(Plan(2048, 2048, {{1, true, 99}, {500, false, 0}, {500, false, 0}}, &limit),
            (std::vector<Planned>{{0, 1}, {1, 44}, {2, 4}}));
}

TEST(MicroBatchSchedulerTest, PrefillKeepsItsFloorWhenDecodesAloneExceedTheLimit) {
  // Two decodes read 2,000 positions against a limit of 1,000: prefill still gets 16 tokens,
  // spread over the prompts in order, then nothing more.
  const StepTimeLimit limit = AttentionOnly(1000, 16);
  EXPECT_EQ(
      Plan(2048, 2048, {{1, true, 999}, {1, true, 999}, {10, false, 0}, {50, false, 0}}, &limit),
      (std::vector<Planned>{{0, 1}, {1, 1}, {2, 10}, {3, 6}}));
}

TEST(MicroBatchSchedulerTest, StepWithoutDecodesIgnoresTheLimit) {
  // Nothing decodes: no stream can stall, so the prompt takes the whole budget although its
  // chunk reads far more than the limit.
  const StepTimeLimit limit = AttentionOnly(10, 1);
  EXPECT_EQ(Plan(512, 512, {{3000, false, 0}}, &limit), (std::vector<Planned>{{0, 512}}));
  EXPECT_EQ(Plan(2048, 1024, {{3000, false, 0}, {100, false, 0}}, &limit),
            (std::vector<Planned>{{0, 1024}, {1, 100}}));
}

}  // namespace
}  // namespace tokenfab::engine
