#include "tokenfab/model/model_config.h"

#include <gtest/gtest.h>

#include "tokenfab/base/thread_pool.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/model/model_weights.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::model {
namespace {

class ModelConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::string> path = tokenizer::FindVocabFile("gpt2");
    ASSERT_TRUE(path.ok()) << path.status();
    StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*path);
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    vocab_ = *std::move(vocab);
  }

  ModelSpec Spec(Architecture arch) {
    ModelSpec spec;
    spec.arch = arch;
    spec.shape = FindNamedShape("tiny")->shape;
    spec.weights = WeightScheme::kF32;
    return spec;
  }

  // Writes the model of `spec` with `edit` applied to its metadata, and parses it back.
  GgufFile Build(const ModelSpec& spec, const std::function<void(GgufWriter&)>& edit = {}) {
    GgufWriter writer;
    Status status = AddModel(spec, vocab_, pool_, writer);
    EXPECT_TRUE(status.ok()) << status;
    if (edit) edit(writer);
    StatusOr<std::vector<uint8_t>> bytes = writer.WriteToBuffer();
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    buffers_.push_back(*std::move(bytes));
    StatusOr<GgufFile> file = GgufFile::Parse(buffers_.back());
    EXPECT_TRUE(file.ok()) << file.status();
    return *std::move(file);
  }

  std::string Error(const GgufFile& file) {
    StatusOr<ModelConfig> config = ModelConfig::FromGguf(file);
    if (!config.ok()) return std::string(config.status().message());
    StatusOr<ModelWeights> weights = ModelWeights::FromGguf(file, *config);
    return weights.ok() ? "" : std::string(weights.status().message());
  }

  tokenizer::Vocab vocab_;
  base::ThreadPool pool_{2};
  std::vector<std::vector<uint8_t>> buffers_;
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
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
              w.Set("llama.attention.head_count_kv", GgufValue::Uint32(3));
            })),
            "llama.attention.head_count_kv = 3 does not divide llama.attention.head_count = 4");
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
              w.Set("general.architecture", GgufValue::String("mamba"));
            })),
            "general.architecture = \"mamba\" is not supported (llama, qwen2, qwen3, qwen3moe, "
      "deepseek2, glm4moe)");
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
              w.Set("general.architecture", GgufValue::String("qwen2"));
            })),
            "key qwen2.embedding_length missing");
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
              w.Set("llama.rope.dimension_count", GgufValue::Uint32(17));
            })),
            "llama.rope.dimension_count = 17 must be even and at most the head dimension 16");
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
              w.Set("llama.rope.scaling.type", GgufValue::String("yarn"));
            })),
            "llama.rope.scaling.type = \"yarn\" is not supported (only none and linear)");
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
              w.Set("llama.feed_forward_length", GgufValue::Uint32(256));
            })),
            "tensor blk.0.ffn_gate.weight: shape [64, 128], expected [64, 256]");
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
              w.Set("llama.block_count", GgufValue::Uint32(3));
            })),
            "tensor blk.2.attn_norm.weight missing");
  EXPECT_EQ(Error(Build(spec, [](GgufWriter& w) {
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
  EXPECT_FLOAT_EQ(c->rope_freq_scale, 0.25f);
}

}  // namespace
}  // namespace tokenfab::model
