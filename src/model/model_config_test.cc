#include "tokenfab/model/model_config.h"

#include <gtest/gtest.h>

#include "model/testing/model_file_test.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/model/model_weights.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::model {
namespace {

class ModelConfigTest : public testing::ModelFileTest {
 protected:
  ModelSpec Spec(Architecture arch) { return SpecOf(arch, "tiny"); }
};

TEST_F(ModelConfigTest, ReadsLlamaAndQwen2Hyperparameters) {
  GgufFile llama = Build(Spec(Architecture::kLlama));
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(llama);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->n_embd, 64);
  EXPECT_EQ(c->n_layer, 2);
  EXPECT_EQ(c->n_head, 4);
  EXPECT_EQ(c->n_head_kv, 2);
  EXPECT_EQ(c->head_dim, 16);
  EXPECT_EQ(c->n_rot, 16);
  EXPECT_EQ(c->n_ff, 128);
  EXPECT_EQ(c->n_vocab, 50257);
  EXPECT_EQ(c->rope_style, RopeStyle::kNormal);
  EXPECT_FALSE(c->has_qkv_bias);
  EXPECT_TRUE(c->tied_output);

  GgufFile qwen = Build(Spec(Architecture::kQwen2));
  c = ModelConfig::FromGguf(qwen);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rope_style, RopeStyle::kNeox);
  EXPECT_TRUE(c->has_qkv_bias);
  EXPECT_EQ(Error(qwen), "");
}

TEST_F(ModelConfigTest, MissingOrContradictoryMetadataIsAClearError) {
  const ModelSpec spec = Spec(Architecture::kLlama);
  EXPECT_EQ(Error(Build(spec,
                        [](GgufWriter& w) {
                          w.Set("llama.attention.head_count_kv", GgufValue::Uint32(3));
                        })),
            "llama.attention.head_count_kv = 3 does not divide llama.attention.head_count = 4");
  EXPECT_EQ(
      Error(Build(
          spec, [](GgufWriter& w) { w.Set("general.architecture", GgufValue::String("mamba")); })),
      "general.architecture = \"mamba\" is not supported (llama, qwen2, qwen3, qwen3moe, "
      "deepseek2, glm4moe)");
  EXPECT_EQ(
      Error(Build(
          spec, [](GgufWriter& w) { w.Set("general.architecture", GgufValue::String("qwen2")); })),
      "key qwen2.embedding_length missing");
  EXPECT_EQ(
      Error(Build(
          spec, [](GgufWriter& w) { w.Set("llama.rope.dimension_count", GgufValue::Uint32(17)); })),
      "llama.rope.dimension_count = 17 must be even and at most the head dimension 16");
  EXPECT_EQ(Error(Build(spec,
                        [](GgufWriter& w) {
                          w.Set("llama.rope.scaling.type", GgufValue::String("longrope"));
                        })),
            "llama.rope.scaling.type = \"longrope\" is not supported (only none, linear and yarn)");
  EXPECT_EQ(
      Error(Build(
          spec, [](GgufWriter& w) { w.Set("llama.feed_forward_length", GgufValue::Uint32(256)); })),
      "tensor blk.0.ffn_gate.weight: shape [64, 128], expected [64, 256]");
  EXPECT_EQ(
      Error(Build(spec, [](GgufWriter& w) { w.Set("llama.block_count", GgufValue::Uint32(3)); })),
      "tensor blk.2.attn_norm.weight missing");
  EXPECT_EQ(Error(Build(spec,
                        [](GgufWriter& w) {
                          w.Set("llama.attention.layer_norm_rms_epsilon", GgufValue::Float32(-1));
                        })),
            "llama.attention.layer_norm_rms_epsilon = -1 must be positive");
}

TEST_F(ModelConfigTest, LinearRopeScalingDividesThePositions) {
  GgufFile file = Build(Spec(Architecture::kLlama), [](GgufWriter& w) {
    w.Set("llama.rope.scaling.type", GgufValue::String("linear"));
    w.Set("llama.rope.scaling.factor", GgufValue::Float32(4));
  });
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(file);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_FLOAT_EQ(c->rope_params().freq_scale, 0.25f);
  EXPECT_EQ(c->rope_params().ext_factor, 0.0f);
  EXPECT_EQ(c->attention_scale_factor(), 1.0f);
}

// DeepSeek-V3's published YaRN settings (factor 40 over an original 4096-token context,
// mscale_all_dim 1, 64 rotated elements of base 10000): its reference code keeps pairs below 10
// and interpolates pairs above 23, and multiplies the softmax scale by (0.1 ln 40 + 1)^2.
TEST_F(ModelConfigTest, YarnOfDeepseekV3SharpensTheAttentionNotTheRotation) {
  ModelSpec spec = SpecOf(Architecture::kDeepseek2);
  spec.shape.mla.qk_rope = 64;
  GgufFile file = Build(spec, [](GgufWriter& w) {
    w.Set("deepseek2.rope.scaling.type", GgufValue::String("yarn"));
    w.Set("deepseek2.rope.scaling.factor", GgufValue::Float32(40));
    w.Set("deepseek2.rope.scaling.original_context_length", GgufValue::Uint32(4096));
    w.Set("deepseek2.rope.scaling.yarn_log_multiplier", GgufValue::Float32(0.1f));
  });
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(file);
  ASSERT_TRUE(c.ok()) << c.status();
  const kernels::RopeParams p = c->rope_params();
  EXPECT_FLOAT_EQ(p.freq_scale, 1.0f / 40);
  EXPECT_EQ(p.ext_factor, 1.0f);
  EXPECT_EQ(p.yarn_low, 10.0f);
  EXPECT_EQ(p.yarn_high, 23.0f);
  EXPECT_EQ(p.magnitude, 1.0f);
  EXPECT_NEAR(c->attention_scale_factor(), 1.8739, 1e-4);
}

// Outside deepseek2, YaRN's temperature scales the rotated queries and keys (sqrt(1/t) each).
TEST_F(ModelConfigTest, YarnElsewhereScalesTheRotatedElements) {
  GgufFile file = Build(Spec(Architecture::kLlama), [](GgufWriter& w) {
    w.Set("llama.rope.scaling.type", GgufValue::String("yarn"));
    w.Set("llama.rope.scaling.factor", GgufValue::Float32(4));
  });
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(file);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rope_scaling.original_context, c->n_ctx_train);  // the default
  EXPECT_NEAR(c->rope_params().magnitude, 1.138629, 1e-5);      // 0.1 ln 4 + 1
  EXPECT_EQ(c->attention_scale_factor(), 1.0f);
}

TEST_F(ModelConfigTest, YarnKeysOutOfRangeAreNamed) {
  const ModelSpec spec = Spec(Architecture::kLlama);
  EXPECT_EQ(Error(Build(spec,
                        [](GgufWriter& w) {
                          w.Set("llama.rope.scaling.type", GgufValue::String("yarn"));
                          w.Set("llama.rope.scaling.factor", GgufValue::Float32(0.5f));
                        })),
            "llama.rope.scaling.factor = 0.5 must be within [1, 1000000]");
  EXPECT_EQ(Error(Build(spec,
                        [](GgufWriter& w) {
                          w.Set("llama.rope.scaling.type", GgufValue::String("yarn"));
                          w.Set("llama.rope.scaling.yarn_ext_factor", GgufValue::Float32(2));
                        })),
            "llama.rope.scaling.yarn_ext_factor = 2 must be within [0, 1]");
}

}  // namespace
}  // namespace tokenfab::model
