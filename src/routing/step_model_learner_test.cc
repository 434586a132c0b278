#include "tokenfab/routing/step_model_learner.h"

#include <gtest/gtest.h>

namespace tokenfab::routing {
namespace {

// Observations from a server whose step is base + per_sequence x n and whose prefill costs
// per_token per token.
void Feed(StepModelLearner& learner, double base_us, double per_sequence_us, double per_token_us,
          int rounds) {
  for (int i = 0; i < rounds; ++i) {
    const double n = 1 + i % 8;
    const double tokens = 200 + 300 * (i % 5);
    learner.ObserveTpot((base_us + per_sequence_us * n) / 1000.0, n);
    learner.ObserveTtft((tokens * per_token_us + base_us + per_sequence_us * n) / 1000.0, tokens,
                        n);
  }
}

TEST(StepModelLearnerTest, RecoversTheModelThatProducedTheObservations) {
  StepModelLearner learner;
  Feed(learner, 5000, 500, 100, 40);
  const fleet::StepModel m = learner.Model();
  EXPECT_NEAR(m.base_us, 5000, 1e-6);
  EXPECT_NEAR(m.decode_sequence_us, 500, 1e-6);
  EXPECT_NEAR(m.prefill_token_us, 100, 1e-6);
  EXPECT_EQ(m.kv_token_us, 0);
}

TEST(StepModelLearnerTest, UnknownUntilEnoughObservations) {
  StepModelLearner learner;
  Feed(learner, 5000, 500, 100, 3);
  EXPECT_FALSE(learner.Model().known());
  EXPECT_TRUE(learner.Model(3).known());
  learner.ObserveTpot(0, 4);      // no TPOT (one token): ignored
  learner.ObserveTtft(50, 0, 1);  // no tokens: ignored
  EXPECT_EQ(learner.tpot_observations(), 3);
  EXPECT_EQ(learner.ttft_observations(), 3);
}

TEST(StepModelLearnerTest, FollowsAServerThatSlowsDown) {
  StepModelLearner learner(0.95);
  Feed(learner, 5000, 500, 100, 200);
  Feed(learner, 10000, 1000, 200, 200);
  const fleet::StepModel m = learner.Model();
  // 0.95^200 leaves the old regime a weight of about 3.5e-5.
  EXPECT_NEAR(m.base_us, 10000, 10);
  EXPECT_NEAR(m.decode_sequence_us, 1000, 2);
  EXPECT_NEAR(m.prefill_token_us, 200, 1);
}

TEST(StepModelLearnerTest, OneBatchSizeGivesTheWholeStepAsBase) {
  StepModelLearner learner;
  for (int i = 0; i < 10; ++i) {
    learner.ObserveTpot(20, 4);
    learner.ObserveTtft(20 + 100, 1000, 4);  // 100 ms for 1,000 tokens beyond one step
  }
  const fleet::StepModel m = learner.Model();
  EXPECT_NEAR(m.base_us, 20000, 1e-6);
  EXPECT_EQ(m.decode_sequence_us, 0);
  EXPECT_NEAR(m.prefill_token_us, 100, 1e-9);
}

}  // namespace
}  // namespace tokenfab::routing
