#include "tokenfab/engine/scheduler_config.h"

#include <gtest/gtest.h>

#include "tokenfab/engine/kv_cache_storage.h"

namespace tokenfab::engine {
namespace {

KvModelShape Llama3_8B() {
  KvModelShape m;
  m.n_layer = 32;
  m.n_head_kv = 8;
  m.head_dim = 128;
  m.n_ctx_train = 8192;
  m.bytes_per_element = 2;
  return m;
}

TEST(SchedulerConfigTest, BytesPerTokenFollowTheModelShape) {
  EXPECT_EQ(KvBytesPerToken(Llama3_8B()), 131072);  // 128 KiB per token
  // DeepSeek-V3's latent rows: 61 layers x (512 + 64) x 2 bytes, no separate values.
  KvModelShape latent{.n_layer = 61, .n_head_kv = 1, .head_dim = 576, .n_ctx_train = 163840};
  latent.value_dim = 0;
  EXPECT_EQ(KvBytesPerToken(latent), 70272);
}

TEST(SchedulerConfigTest, TheCacheStorageSizesTokensAlike) {
  // The storage's own shape type must give the figure the scheduler plans with:
  // 2 (K, V) * 32 layers * 8 heads * 128 elements * 2 bytes (F16) = 131,072; F32 doubles it.
  KvCacheShape shape;
  shape.n_layer = 32;
  shape.n_head_kv = 8;
  shape.head_dim = 128;
  shape.type = kernels::GgmlType::kF16;
  EXPECT_EQ(shape.BytesPerToken(), 131072);
  shape.type = kernels::GgmlType::kF32;
  EXPECT_EQ(shape.BytesPerToken(), 262144);
}

TEST(SchedulerConfigTest, DefaultsComeFromModelAndMemory) {
  // 8 GiB of F16 KV for Llama 3 8B: 65,536 tokens = 4,096 blocks of 16.
  const auto config = DefaultSchedulerConfig(Llama3_8B(), int64_t{8} << 30);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->num_kv_blocks, 4096);
  EXPECT_EQ(config->block_size, 16);
  EXPECT_EQ(config->max_context_tokens, 8192);  // the training context, smaller than the pool
  EXPECT_EQ(config->max_running_sequences, 256);
  EXPECT_EQ(config->max_batch_tokens, 2048);
  EXPECT_EQ(config->max_prefill_chunk_tokens, 2048);
  EXPECT_EQ(config->admission_reserve_blocks, 40);
  EXPECT_TRUE(config->Validate().ok());
}

TEST(SchedulerConfigTest, SmallMemoryCutsContextAndRunningSequences) {
  // 10 blocks of 16 tokens.
  const auto config = DefaultSchedulerConfig(Llama3_8B(), 10 * 16 * int64_t{131072} + 5);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->num_kv_blocks, 10);
  EXPECT_EQ(config->max_context_tokens, 160);
  EXPECT_EQ(config->max_running_sequences, 10);
}

TEST(SchedulerConfigTest, RejectsWhatCannotWork) {
  EXPECT_FALSE(DefaultSchedulerConfig(Llama3_8B(), 1000).ok());  // not one block
  EXPECT_FALSE(DefaultSchedulerConfig(KvModelShape{}, int64_t{1} << 30).ok());
  SchedulerConfig c;
  c.num_kv_blocks = 10;
  c.block_size = 16;
  c.max_context_tokens = 161;  // more than the pool holds
  EXPECT_FALSE(c.Validate().ok());
  c.max_context_tokens = 160;
  c.max_running_sequences = 8;
  c.max_batch_tokens = 4;  // fewer than the running streams
  EXPECT_FALSE(c.Validate().ok());
  c.max_batch_tokens = 64;
  c.max_prefill_chunk_tokens = 65;
  EXPECT_FALSE(c.Validate().ok());
  c.max_prefill_chunk_tokens = 64;
  EXPECT_TRUE(c.Validate().ok());
  c.admission_reserve_blocks = 10;
  EXPECT_FALSE(c.Validate().ok());
}

}  // namespace
}  // namespace tokenfab::engine
