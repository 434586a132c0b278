#include "tokenfab/engine/performance_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace tokenfab::engine {
namespace {

using ::testing::HasSubstr;

TEST(PerformanceModelTest, StepTimeCountsPrefillDecodeAndAttendedPositions) {
  PerformanceModel m;
  m.base_us = 500;
  m.per_prefill_token_us = 20;
  m.per_decode_sequence_us = 300;
  m.per_kv_token_us = 0.25;
  const std::vector<Token> tokens(10, 1);
  const std::vector<BlockId> table(8, 0);
  ScheduledBatch batch;
  ScheduledSequence decode;
  decode.position = 99;  // attends 100 positions
  decode.tokens = std::span<const Token>(tokens).first(1);
  decode.block_table = table;
  decode.logits = true;
  ScheduledSequence prefill;
  prefill.position = 4;  // tokens at 4..13 attend 5..14 positions: 95
  prefill.tokens = tokens;
  prefill.block_table = table;
  prefill.prefill = true;
  batch.sequences = {decode, decode, prefill};
  batch.num_decode_tokens = 2;
  batch.num_prefill_tokens = 10;
  batch.num_tokens = 12;
  EXPECT_EQ(m.StepMicros(batch), 500 + 20 * 10 + 300 * 2 + std::llround(0.25 * (200 + 95)));
  EXPECT_EQ(m.StepMicros(ScheduledBatch{}), 0);
  EXPECT_EQ(PerformanceModel{}.StepMicros(batch), 1);  // a step never takes no time
}

TEST(PerformanceModelTest, FromLatenciesReproducesTheTargets) {
  const PerformanceModel m = PerformanceModel::FromLatencies(200, 1000, 25, 0.8).value();
  EXPECT_NEAR(m.StepMicros(1000, 0, 0), 200'000, 1e-6);  // TTFT of a 1000-token prompt
  EXPECT_NEAR(m.StepMicros(0, 1, 0), 25'000, 1e-6);      // TPOT alone
  // Batching: 8 sequences cost 8 * 20 % of a step more than one.
  EXPECT_NEAR(m.StepMicros(0, 8, 0), 25'000 * (0.8 + 8 * 0.2), 1e-6);
  EXPECT_FALSE(PerformanceModel::FromLatencies(0, 10, 5).ok());
  EXPECT_FALSE(PerformanceModel::FromLatencies(10, 0, 5).ok());
  EXPECT_FALSE(PerformanceModel::FromLatencies(10, 10, 5, 1.5).ok());
  // A TTFT shorter than the shared part of a step is impossible.
  EXPECT_FALSE(PerformanceModel::FromLatencies(1, 10, 50, 0.8).ok());
}

TEST(PerformanceModelTest, ParsesWhatItPrints) {
  PerformanceModel m;
  m.base_us = 1500.5;
  m.per_prefill_token_us = 12;
  m.per_decode_sequence_us = 250;
  m.per_kv_token_us = 0.125;
  const PerformanceModel back = PerformanceModel::Parse(m.ToString()).value();
  EXPECT_EQ(back.base_us, m.base_us);
  EXPECT_EQ(back.per_prefill_token_us, m.per_prefill_token_us);
  EXPECT_EQ(back.per_decode_sequence_us, m.per_decode_sequence_us);
  EXPECT_EQ(back.per_kv_token_us, m.per_kv_token_us);
  EXPECT_EQ(PerformanceModel::Parse("decode=7").value().per_decode_sequence_us, 7);
  EXPECT_THAT(std::string(PerformanceModel::Parse("speed=3").status().message()),
              HasSubstr("unknown performance model term"));
  EXPECT_FALSE(PerformanceModel::Parse("base=abc").ok());
  EXPECT_FALSE(PerformanceModel::Parse("base=-1").ok());
}

}  // namespace
}  // namespace tokenfab::engine
