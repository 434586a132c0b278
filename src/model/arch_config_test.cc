// ModelConfig and ModelWeights on the qwen3, qwen3moe, deepseek2 and glm4moe files `model create`
// writes (the keys and tensor names llama.cpp writes), and the load errors of broken ones.
#include <gtest/gtest.h>

#include "model/testing/model_file_test.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/model/model_config.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/model/model_info.h"
#include "tokenfab/model/model_weights.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::model {
namespace {

class ArchConfigTest : public testing::ModelFileTest {
 protected:
  static ModelSpec Spec(Architecture arch) { return SpecOf(arch); }
};

TEST_F(ArchConfigTest, Qwen3HasQkNormAndItsOwnHeadLength) {
  GgufFile file = Build(Spec(Architecture::kQwen3));
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(file);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->arch, Architecture::kQwen3);
  EXPECT_TRUE(c->has_qk_norm);
  EXPECT_FALSE(c->has_qkv_bias);
  EXPECT_EQ(c->rope_style, RopeStyle::kNeox);
  EXPECT_EQ(c->head_dim, 32);  // key_length, not 64 / 4
  EXPECT_EQ(c->q_dim(), 128);
  EXPECT_FALSE(c->moe.enabled());
  StatusOr<ModelWeights> w = ModelWeights::FromGguf(file, *c);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_NE(w->layers()[1].q_norm, nullptr);
  EXPECT_NE(w->layers()[1].k_norm, nullptr);
  EXPECT_EQ(w->layers()[0].wo.cols, 128);
}

TEST_F(ArchConfigTest, Qwen3MoeRoutesBySoftmaxToNormalisedExperts) {
  GgufFile file = Build(Spec(Architecture::kQwen3Moe));
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(file);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->moe.n_expert, 8);
  EXPECT_EQ(c->moe.n_expert_used, 2);
  EXPECT_EQ(c->moe.n_ff_exp, 32);
  EXPECT_EQ(c->moe.n_expert_shared, 0);
  EXPECT_EQ(c->moe.gating, ExpertGating::kSoftmax);
  EXPECT_TRUE(c->moe.weights_norm);
  StatusOr<ModelWeights> w = ModelWeights::FromGguf(file, *c);
  ASSERT_TRUE(w.ok()) << w.status();
  const LayerWeights& l = w->layers()[0];
  ASSERT_TRUE(l.is_moe);
  EXPECT_EQ(l.moe.router.type, kernels::GgmlType::kF32);
  EXPECT_EQ(l.moe.router.rows, 8);
  EXPECT_EQ(l.moe.up.count, 8);
  EXPECT_EQ(l.moe.up.first.rows, 32);
  EXPECT_EQ(l.moe.down.first.rows, 64);
  // Expert 3 of ffn_up_exps starts 3 matrices of 32 rows of 64 floats into the tensor.
  EXPECT_EQ(static_cast<const uint8_t*>(l.moe.up.At(3).data) -
                static_cast<const uint8_t*>(l.moe.up.first.data),
            3 * 32 * 64 * 4);
  EXPECT_EQ(l.moe.selection_bias, nullptr);
  EXPECT_EQ(l.moe.shared_gate.rows, 0);
}

TEST_F(ArchConfigTest, Deepseek2HasLatentAttentionSharedExpertsAndADenseLead) {
  GgufFile file = Build(Spec(Architecture::kDeepseek2));
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(file);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->rope_style, RopeStyle::kNormal);
  EXPECT_EQ(c->mla.kv_lora_rank, 32);
  EXPECT_EQ(c->mla.q_lora_rank, 32);
  EXPECT_EQ(c->mla.qk_nope, 16);
  EXPECT_EQ(c->mla.qk_rope, 8);
  EXPECT_EQ(c->mla.v_head_dim, 16);
  EXPECT_TRUE(c->mla.split_kv_b);
  // The cache holds one latent row of 32 + 8 per token and layer.
  EXPECT_EQ(c->n_head_kv, 1);
  EXPECT_EQ(c->head_dim, 40);
  EXPECT_EQ(c->kv_value_head_dim(), 0);
  EXPECT_EQ(c->q_dim(), 4 * 24);
  EXPECT_EQ(c->attn_out_dim(), 4 * 16);
  EXPECT_EQ(c->moe.n_dense_lead, 1);
  EXPECT_EQ(c->moe.n_expert_shared, 1);
  EXPECT_EQ(c->moe.gating, ExpertGating::kSigmoid);
  EXPECT_FLOAT_EQ(c->moe.weights_scale, 2.5f);
  EXPECT_EQ(c->moe.n_group, 4);
  EXPECT_EQ(c->moe.n_group_used, 2);
  StatusOr<ModelWeights> w = ModelWeights::FromGguf(file, *c);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_FALSE(w->layers()[0].is_moe);
  EXPECT_EQ(w->layers()[0].w_gate.rows, 128);
  const LayerWeights& l = w->layers()[2];
  ASSERT_TRUE(l.is_moe);
  EXPECT_NE(l.moe.selection_bias, nullptr);
  EXPECT_EQ(l.moe.shared_up.rows, 32);
  EXPECT_EQ(l.mla.k_b.count, 4);
  EXPECT_EQ(l.mla.k_b.first.rows, 32);  // kv_lora_rank outputs
  EXPECT_EQ(l.mla.k_b.first.cols, 16);  // from q_nope
  EXPECT_EQ(l.mla.v_b.first.rows, 16);
  EXPECT_EQ(l.mla.wkv_a.rows, 40);
  EXPECT_EQ(l.wo.cols, 64);
}

TEST_F(ArchConfigTest, Glm4MoeHasBiasesPartialRopeAndSkipsPredictionBlocks) {
  // A trailing multi-token-prediction block counted in block_count is not read.
  GgufFile file = Build(Spec(Architecture::kGlm4Moe), [](GgufWriter& w) {
    w.Set("glm4moe.block_count", GgufValue::Uint32(4));
    w.Set("glm4moe.nextn_predict_layers", GgufValue::Uint32(1));
  });
  StatusOr<ModelConfig> c = ModelConfig::FromGguf(file);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->n_layer, 3);
  EXPECT_EQ(c->n_layer_nextn, 1);
  EXPECT_TRUE(c->has_qkv_bias);
  EXPECT_TRUE(c->has_qk_norm);
  EXPECT_EQ(c->rope_style, RopeStyle::kNeox);
  EXPECT_EQ(c->n_rot, 16);
  EXPECT_EQ(c->head_dim, 32);
  EXPECT_EQ(c->moe.gating, ExpertGating::kSigmoid);
  StatusOr<ModelWeights> w = ModelWeights::FromGguf(file, *c);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->layers().size(), 3u);
  EXPECT_NE(w->layers()[1].ffn_norm, nullptr);  // from post_attention_norm.weight
  EXPECT_NE(w->layers()[1].moe.selection_bias, nullptr);
}

TEST_F(ArchConfigTest, MissingOrInconsistentKeysAreErrorsNamingThem) {
  const ModelSpec ds = Spec(Architecture::kDeepseek2);
  EXPECT_EQ(Error(Build(ds, [](GgufWriter& w) { w.Remove("deepseek2.expert_count"); })),
            "key deepseek2.expert_count missing");
  EXPECT_EQ(Error(Build(ds, [](GgufWriter& w) { w.Remove("deepseek2.attention.kv_lora_rank"); })),
            "key deepseek2.attention.kv_lora_rank missing");
  EXPECT_EQ(
      Error(Build(
          ds,
          [](GgufWriter& w) { w.Set("deepseek2.attention.value_length", GgufValue::Uint32(33)); })),
      "deepseek2.attention.value_length = 33, expected deepseek2.attention.kv_lora_rank = 32");
  EXPECT_EQ(
      Error(Build(
          ds, [](GgufWriter& w) { w.Set("deepseek2.expert_gating_func", GgufValue::Uint32(4)); })),
      "deepseek2.expert_gating_func = 4 is not supported (1 softmax, 2 sigmoid)");
  EXPECT_EQ(
      Error(Build(
          ds, [](GgufWriter& w) { w.Set("deepseek2.expert_group_count", GgufValue::Uint32(3)); })),
      "deepseek2.expert_group_count = 3 does not divide deepseek2.expert_count = 8");
  EXPECT_EQ(Error(Build(ds,
                        [](GgufWriter& w) {
                          w.Set("deepseek2.leading_dense_block_count", GgufValue::Uint32(4));
                        })),
            "deepseek2.leading_dense_block_count = 4 exceeds deepseek2.block_count = 3");
  // Without q_lora_rank the queries come from attn_q, which this file does not have.
  EXPECT_EQ(Error(Build(ds, [](GgufWriter& w) { w.Remove("deepseek2.attention.q_lora_rank"); })),
            "tensor blk.0.attn_q.weight missing");
  const ModelSpec qwen = Spec(Architecture::kQwen3Moe);
  EXPECT_EQ(
      Error(Build(
          qwen, [](GgufWriter& w) { w.Set("qwen3moe.expert_used_count", GgufValue::Uint32(9)); })),
      "qwen3moe.expert_used_count = 9 exceeds qwen3moe.expert_count = 8");
  EXPECT_EQ(Error(Build(qwen,
                        [](GgufWriter& w) {
                          w.Set("qwen3moe.expert_feed_forward_length", GgufValue::Uint32(64));
                        })),
            "tensor blk.0.ffn_gate_exps.weight: shape [64, 32, 8], expected [64, 64, 8]");
  EXPECT_EQ(Error(Build(Spec(Architecture::kGlm4Moe),
                        [](GgufWriter& w) {
                          w.Set("glm4moe.nextn_predict_layers", GgufValue::Uint32(3));
                        })),
            "glm4moe.nextn_predict_layers = 3 leaves no block of glm4moe.block_count = 3");
}

TEST_F(ArchConfigTest, InfoCountsActiveParametersAndLatentKvBytes) {
  const ModelSummary qwen = SummarizeModel(Build(Spec(Architecture::kQwen3Moe)));
  EXPECT_EQ(qwen.experts, 8);
  EXPECT_EQ(qwen.experts_used, 2);
  // 2 MoE layers of gate, up and down experts (8 x 64 x 32 each): 6 of 8 experts idle.
  EXPECT_EQ(qwen.parameters - qwen.active_parameters, 2 * 3 * 6 * 64 * 32);
  // 2 layers x K and V x 2 heads x 32 x 2 bytes.
  EXPECT_EQ(qwen.kv_bytes_per_token, 2 * 2 * 2 * 32 * 2);
  const ModelSummary ds = SummarizeModel(Build(Spec(Architecture::kDeepseek2)));
  // 3 layers x one latent row of 32 + 8 x 2 bytes.
  EXPECT_EQ(ds.kv_bytes_per_token, 3 * 40 * 2);
  EXPECT_EQ(ds.shared_experts, 1);
  const ModelSummary llama = SummarizeModel(Build(Spec(Architecture::kLlama)));
  EXPECT_EQ(llama.active_parameters, llama.parameters);
  EXPECT_FALSE(llama.experts.has_value());
}

}  // namespace
}  // namespace tokenfab::model
