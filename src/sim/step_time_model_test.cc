#include "tokenfab/sim/step_time_model.h"

#include <gtest/gtest.h>

namespace tokenfab::sim {
namespace {

fleet::Hardware Gpu() {
  fleet::Hardware h;
  h.count = 2;
  h.peak_tflops = 500;          // 2 x 500 x 0.5 = 500 TFLOP/s achieved
  h.mem_bandwidth_gbps = 1000;  // 2 x 1000 x 0.7 = 1400 GB/s achieved
  return h;
}

ModelShape Moe() {
  ModelShape m;
  m.name = "moe";
  m.total_params_b = 10;
  m.active_params_b = 1;
  m.kv = {.n_layer = 16,
          .n_head_kv = 8,
          .head_dim = 64,
          .n_ctx_train = 4096,
          .bytes_per_element = 2};  // 32,768 bytes per token
  return m;
}

TEST(StepTimeModelTest, LoneDecodeOfAnMoeReadsOnlyItsActiveExperts) {
  RooflineOptions options;
  options.attention_flops_per_kv_byte = 0;
  auto model = StepTimeModel::Roofline(Gpu(), Moe(), options);
  ASSERT_TRUE(model.ok());
  // One decode token at position 999: weights read 2 B x 1e9 active params = 2e9 B, K/V read
  // 1000 positions + 1 written = 1001 x 32,768 B = 32.8 MB; 2.0328e9 B at 1.4e6 B/µs: 1452.0 µs;
  // compute 2 x 1e9 FLOP / 5e8 FLOP/µs = 4 µs. Plus 100 µs overhead: 1552 µs.
  StepShape decode;
  decode.tokens = 1;
  decode.decode_sequences = 1;
  decode.attended_tokens = 1000;
  decode.kv_positions = 1000;
  EXPECT_EQ(model->StepMicros(decode), 1552);
  // 64 sequences touch every expert: the whole 20 GB is read (14,286 µs) instead of 64 x 2 GB.
  StepShape batch;
  batch.tokens = 64;
  batch.decode_sequences = 64;
  batch.attended_tokens = 64000;
  batch.kv_positions = 64000;
  // K/V: (64,000 + 64) x 32,768 B = 2.0992e9 B; (2e10 + 2.0992e9) / 1.4e6 = 15785.2 µs + 100.
  EXPECT_EQ(model->StepMicros(batch), 15885);
}

TEST(StepTimeModelTest, LongPrefillIsComputeBound) {
  RooflineOptions options;
  options.attention_flops_per_kv_byte = 0;
  options.overhead_us = 0;
  auto model = StepTimeModel::Roofline(Gpu(), Moe(), options);
  ASSERT_TRUE(model.ok());
  // 8,192 tokens: 2 x 1e9 x 8192 = 1.6384e13 FLOP / 5e8 = 32,768 µs; memory is
  // (2e10 + 16,384 x 32,768) / 1.4e6 = 14,669 µs.
  StepShape prefill;
  prefill.tokens = 8192;
  prefill.prefill_tokens = 8192;
  prefill.attended_tokens = 0;
  prefill.kv_positions = 8192;
  EXPECT_EQ(model->StepMicros(prefill), 32768);
}

TEST(StepTimeModelTest, MeasuredUsesThePerformanceModel) {
  engine::PerformanceModel perf;
  perf.base_us = 1000;
  perf.per_prefill_token_us = 2;
  perf.per_decode_sequence_us = 30;
  perf.per_kv_token_us = 0.01;
  auto model = StepTimeModel::Measured(perf);
  ASSERT_TRUE(model.ok());
  StepShape shape;
  shape.tokens = 110;
  shape.prefill_tokens = 100;
  shape.decode_sequences = 10;
  shape.attended_tokens = 10000;
  EXPECT_EQ(model->StepMicros(shape), 1000 + 200 + 300 + 100);
}

TEST(StepTimeModelTest, RooflineNeedsHardwareFigures) {
  fleet::Hardware none;
  EXPECT_FALSE(StepTimeModel::Roofline(none, Moe()).ok());
  EXPECT_TRUE(KnownModelShape("qwen3-8b").has_value());
  EXPECT_FALSE(KnownModelShape("no-such-model").has_value());
}

}  // namespace
}  // namespace tokenfab::sim
