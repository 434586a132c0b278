// Latent attention (deepseek2) in the runner: the cache holds one latent row per token and
// layer, and a file in the older layout (one attn_kv_b per block) computes what the current one
// (attn_k_b / attn_v_b) does.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <numeric>

#include <gtest/gtest.h>

#include "tokenfab/base/thread_pool.h"
#include "tokenfab/engine/forward_batch.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/model/model.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::engine {
namespace {

using model::GgufFile;
using model::GgufWriter;

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "-" + std::to_string(getpid()) + ".gguf"))
      .string();
}

// Rewrites an F32 deepseek2 file with split attn_k_b / attn_v_b into the older layout: one
// attn_kv_b [kv_lora, heads * (nope + v)] per block, no *_mla keys, key/value lengths per head.
Status WriteLegacy(const GgufFile& file, const model::ModelConfig& c, const std::string& path) {
  const model::MlaConfig& m = c.mla;
  GgufWriter writer;
  for (std::string_view key : file.Keys()) {
    if (key.find("_mla") != std::string_view::npos) continue;
    TF_ASSIGN_OR_RETURN(model::GgufValue value, file.GetValue(key));
    writer.Set(key, value);
  }
  writer.Set("deepseek2.attention.key_length",
             model::GgufValue::Uint32(static_cast<uint32_t>(m.qk_head_dim())));
  writer.Set("deepseek2.attention.value_length",
             model::GgufValue::Uint32(static_cast<uint32_t>(m.v_head_dim)));
  for (const model::GgufTensorInfo& t : file.tensors()) {
    if (t.name.ends_with("attn_v_b.weight")) continue;
    if (!t.name.ends_with("attn_k_b.weight")) {
      TF_RETURN_IF_ERROR(writer.AddTensor(t.name, t.type, t.dims, [&t](std::span<uint8_t> out) {
        std::memcpy(out.data(), t.data, out.size());
        return absl::OkStatus();
      }));
      continue;
    }
    const std::string prefix = t.name.substr(0, t.name.size() - std::strlen("attn_k_b.weight"));
    const model::GgufTensorInfo* v = file.FindTensor(prefix + "attn_v_b.weight");
    const int64_t rows_per_head = m.qk_nope + m.v_head_dim;
    auto fill = [&t, v, &m, rows_per_head, &c](std::span<uint8_t> out) {
      auto* kv = reinterpret_cast<float*>(out.data());
      const auto* k_b = reinterpret_cast<const float*>(t.data);   // [heads][kv_lora][nope]
      const auto* v_b = reinterpret_cast<const float*>(v->data);  // [heads][v][kv_lora]
      for (int64_t h = 0; h < c.n_head; ++h) {
        for (int64_t j = 0; j < m.qk_nope; ++j) {
          for (int64_t col = 0; col < m.kv_lora_rank; ++col) {
            kv[(h * rows_per_head + j) * m.kv_lora_rank + col] =
                k_b[(h * m.kv_lora_rank + col) * m.qk_nope + j];
          }
        }
        std::memcpy(kv + (h * rows_per_head + m.qk_nope) * m.kv_lora_rank,
                    v_b + h * m.v_head_dim * m.kv_lora_rank,
                    m.v_head_dim * m.kv_lora_rank * sizeof(float));
      }
      return absl::OkStatus();
    };
    TF_RETURN_IF_ERROR(writer.AddTensor(prefix + "attn_kv_b.weight", kernels::GgmlType::kF32,
                                        {m.kv_lora_rank, c.n_head * rows_per_head}, fill));
  }
  return writer.WriteFile(path);
}

std::vector<float> Logits(const model::Model& model, const std::vector<int32_t>& tokens) {
  KvCacheStorage kv(KvCacheShape::ForModel(model.config(), 16, 2, kernels::GgmlType::kF32));
  ModelRunner runner(model, kv, 2);
  std::vector<int32_t> blocks = {0, 1};
  ForwardBatch batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.Add(tokens[i], static_cast<int32_t>(i), blocks.data(), true);
  }
  std::vector<float> logits;
  EXPECT_TRUE(runner.Forward(batch, logits).ok());
  return logits;
}

class LatentAttentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::string> vocab_path = tokenizer::FindVocabFile("gpt2");
    ASSERT_TRUE(vocab_path.ok()) << vocab_path.status();
    StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*vocab_path);
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    model::ModelSpec spec;
    spec.arch = model::Architecture::kDeepseek2;
    spec.shape = model::FindNamedShape("tiny-deepseek2")->shape;
    spec.weights = model::WeightScheme::kF32;
    spec.seed = 5;
    spec.init_std = 0.2;
    base::ThreadPool pool(2);
    ASSERT_TRUE(model::CreateModelFile(spec, *vocab, pool, path_).ok());
    StatusOr<std::unique_ptr<model::Model>> model = model::Model::Load(path_);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *std::move(model);
  }
  void TearDown() override {
    std::filesystem::remove(path_);
    std::filesystem::remove(legacy_path_);
  }

  std::string path_ = TempPath("tokenfab-mla");
  std::string legacy_path_ = TempPath("tokenfab-mla-legacy");
  std::unique_ptr<model::Model> model_;
};

TEST_F(LatentAttentionTest, TheCacheHoldsOneLatentRowPerToken) {
  const KvCacheShape shape =
      KvCacheShape::ForModel(model_->config(), 16, 4, kernels::GgmlType::kF16);
  // 3 layers x (kv_lora_rank 32 + rope 8) x 2 bytes; no separate values.
  EXPECT_EQ(shape.BytesPerToken(), 3 * 40 * 2);
  KvCacheStorage kv(shape);
  EXPECT_EQ(kv.Values(1).base, kv.Keys(1).base);
  EXPECT_NE(kv.Keys(1).base, kv.Keys(0).base);
  EXPECT_EQ(kv.Keys(2).token_stride, 40 * 2);
}

TEST_F(LatentAttentionTest, TheOlderKvBLayoutComputesTheSame) {
  ASSERT_TRUE(WriteLegacy(model_->file(), model_->config(), legacy_path_).ok());
  StatusOr<std::unique_ptr<model::Model>> legacy = model::Model::Load(legacy_path_);
  ASSERT_TRUE(legacy.ok()) << legacy.status();
  EXPECT_FALSE((*legacy)->config().mla.split_kv_b);
  EXPECT_EQ((*legacy)->config().mla.qk_nope, 16);
  EXPECT_EQ((*legacy)->config().head_dim, 40);
  const std::vector<int32_t> tokens = {17, 4242, 99, 31000, 5, 777, 12345, 3};
  const std::vector<float> split = Logits(*model_, tokens);
  const std::vector<float> older = Logits(**legacy, tokens);
  ASSERT_EQ(split.size(), older.size());
  double max_diff = 0, max_abs = 0;
  for (size_t i = 0; i < split.size(); ++i) {
    max_diff = std::max(max_diff, static_cast<double>(std::abs(split[i] - older[i])));
    max_abs = std::max(max_abs, static_cast<double>(std::abs(split[i])));
  }
  EXPECT_LT(max_diff, 1e-5 * max_abs + 1e-6);
  EXPECT_GT(max_abs, 0.1);
}

}  // namespace
}  // namespace tokenfab::engine
