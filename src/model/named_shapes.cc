// The catalogue of named model shapes (NamedShapes(), declared in model_spec.h).
#include <vector>

#include "tokenfab/model/model_spec.h"

namespace tokenfab::model {
namespace {

MlaShape Mla(int64_t q_lora_rank, int64_t kv_lora_rank, int64_t qk_nope, int64_t qk_rope,
             int64_t v_head_dim) {
  MlaShape m;
  m.q_lora_rank = q_lora_rank;
  m.kv_lora_rank = kv_lora_rank;
  m.qk_nope = qk_nope;
  m.qk_rope = qk_rope;
  m.v_head_dim = v_head_dim;
  return m;
}

// A dense shape.
ModelShape Dense(int64_t dim, int64_t layers, int64_t heads, int64_t kv_heads, int64_t ffn,
                 int64_t context, double rope_theta, double rms_epsilon, bool tied) {
  ModelShape s;
  s.dim = dim;
  s.layers = layers;
  s.heads = heads;
  s.kv_heads = kv_heads;
  s.ffn = ffn;
  s.context = context;
  s.rope_theta = rope_theta;
  s.rms_epsilon = rms_epsilon;
  s.tied_embeddings = tied;
  return s;
}

ModelShape WithHeads(ModelShape s, int64_t key_length, int64_t rope_dims = 0) {
  s.key_length = key_length;
  s.rope_dims = rope_dims;
  return s;
}

ModelShape WithMoe(ModelShape s, MoeShape moe) {
  s.moe = moe;
  return s;
}

ModelShape WithMla(ModelShape s, MlaShape mla) {
  s.mla = mla;
  return s;
}

// DeepSeek-V3/R1 and Kimi K2 extend a 4096-token context by YaRN (mscale_all_dim 1).
ModelShape WithYarn(ModelShape s, double factor) {
  s.yarn.factor = factor;
  s.yarn.original_context = 4096;
  s.yarn.log_multiplier = 0.1;
  return s;
}

ModelShape WithQkNorm(ModelShape s) {
  s.qk_norm = true;
  return s;
}

// Qwen3-MoE routing: softmax over the experts, chosen weights normalised.
MoeShape QwenMoe(int64_t experts, int64_t used, int64_t expert_ffn) {
  MoeShape m;
  m.experts = experts;
  m.experts_used = used;
  m.expert_ffn = expert_ffn;
  return m;
}

// DeepSeek-V3 / Kimi K2 / GLM-4.5 routing: sigmoid scores with a selection bias, normalised,
// scaled, shared experts beside the routed ones, the first blocks dense.
MoeShape SigmoidMoe(int64_t experts, int64_t used, int64_t shared, int64_t expert_ffn,
                    int64_t dense_layers, double scale, int64_t groups, int64_t groups_used) {
  MoeShape m;
  m.experts = experts;
  m.experts_used = used;
  m.shared_experts = shared;
  m.expert_ffn = expert_ffn;
  m.dense_layers = dense_layers;
  m.sigmoid = true;
  m.norm_weights = true;
  m.weights_scale = scale;
  m.groups = groups;
  m.groups_used = groups_used;
  return m;
}

std::vector<NamedShape> MakeShapes() {
  using A = Architecture;
  std::vector<NamedShape> v;
  v.push_back({"tiny", "2 layers of dim 64, for tests", A::kLlama, "llama3",
               Dense(64, 2, 4, 2, 128, 256, 10000.0, 1e-5, true)});
  v.push_back({"llama-3.2-1b", "the shape of Llama 3.2 1B", A::kLlama, "llama3",
               Dense(2048, 16, 32, 8, 8192, 131072, 500000.0, 1e-5, true)});
  v.push_back({"qwen2.5-0.5b", "the shape of Qwen2.5 0.5B", A::kQwen2, "qwen3",
               Dense(896, 24, 14, 2, 4864, 32768, 1000000.0, 1e-6, true)});
  // qwen3: QK-norm, heads of 128 whatever the width.
  v.push_back({"tiny-qwen3", "qwen3, 2 layers of dim 64, heads of 32, for tests", A::kQwen3,
               "qwen3", WithHeads(Dense(64, 2, 4, 2, 128, 256, 1e6, 1e-6, true), 32)});
  v.push_back({"qwen3-0.6b", "the shape of Qwen3 0.6B", A::kQwen3, "qwen3",
               WithHeads(Dense(1024, 28, 16, 8, 3072, 40960, 1e6, 1e-6, true), 128)});
  // qwen3moe: 128 experts, 8 per token, no shared expert.
  v.push_back(
      {"tiny-qwen3moe", "qwen3moe, 2 layers of dim 64, 8 experts (2 used), for tests", A::kQwen3Moe,
       "qwen3",
       WithMoe(WithHeads(Dense(64, 2, 4, 2, 128, 256, 1e6, 1e-6, true), 32), QwenMoe(8, 2, 32))});
  v.push_back({"qwen3-30b-a3b-mini",
               "Qwen3-30B-A3B's structure (128 experts, 8 used) at dim 512, 6 layers", A::kQwen3Moe,
               "qwen3",
               WithMoe(WithHeads(Dense(512, 6, 8, 2, 1536, 40960, 1e6, 1e-6, false), 64),
                       QwenMoe(128, 8, 128))});
  v.push_back({"qwen3-30b-a3b", "the shape of Qwen3-30B-A3B (3.3 B of 30.5 B active)", A::kQwen3Moe,
               "qwen3",
               WithMoe(WithHeads(Dense(2048, 48, 32, 4, 6144, 40960, 1e6, 1e-6, false), 128),
                       QwenMoe(128, 8, 768))});
  // deepseek2: latent attention, routed + shared experts, leading dense blocks.
  v.push_back({"tiny-deepseek2",
               "deepseek2, 3 layers of dim 64, latent attention, 8 experts (2 used, 4 groups) + 1 "
               "shared, 1 dense layer, for tests",
               A::kDeepseek2, "llama3",
               WithMla(WithMoe(Dense(64, 3, 4, 1, 128, 256, 10000.0, 1e-6, true),
                               SigmoidMoe(8, 2, 1, 32, 1, 2.5, 4, 2)),
                       Mla(32, 32, 16, 8, 16))});
  v.push_back({"deepseek-v3-mini",
               "DeepSeek-V3's structure (MLA, 64 experts in 8 groups, 8 used, 1 shared, first "
               "layer dense) at dim 512, 6 layers",
               A::kDeepseek2, "llama3",
               WithYarn(WithMla(WithMoe(Dense(512, 6, 8, 1, 1536, 163840, 10000.0, 1e-6, false),
                                        SigmoidMoe(64, 8, 1, 128, 1, 2.5, 8, 4)),
                                Mla(192, 128, 32, 16, 32)),
                        40)});
  const MlaShape v3_mla = Mla(1536, 512, 128, 64, 128);
  v.push_back(
      {"deepseek-v3", "the shape of DeepSeek-V3/R1 (37 B of 671 B active)", A::kDeepseek2, "llama3",
       WithYarn(WithMla(WithMoe(Dense(7168, 61, 128, 1, 18432, 163840, 10000.0, 1e-6, false),
                                SigmoidMoe(256, 8, 1, 2048, 3, 2.5, 8, 4)),
                        v3_mla),
                40)});
  v.push_back({"kimi-k2", "the shape of Kimi K2 (32 B of 1 T active)", A::kDeepseek2, "llama3",
               WithYarn(WithMla(WithMoe(Dense(7168, 61, 64, 1, 18432, 131072, 50000.0, 1e-6, false),
                                        SigmoidMoe(384, 8, 1, 2048, 1, 2.827, 1, 1)),
                                v3_mla),
                        32)});
  // glm4moe: Q/K/V biases, half the head rotated, sigmoid routing, shared expert.
  v.push_back({"tiny-glm4moe",
               "glm4moe, 3 layers of dim 64, 8 experts (2 used) + 1 shared, 1 dense layer, for "
               "tests",
               A::kGlm4Moe, "qwen3",
               WithQkNorm(WithMoe(WithHeads(Dense(64, 3, 4, 2, 128, 256, 1e6, 1e-5, true), 32, 16),
                                  SigmoidMoe(8, 2, 1, 32, 1, 2.5, 1, 1)))});
  v.push_back(
      {"glm-4.5-mini",
       "GLM-4.5's structure (64 experts, 8 used, 1 shared, first layer dense, partial "
       "RoPE) at dim 512, 6 layers",
       A::kGlm4Moe, "qwen3",
       WithQkNorm(WithMoe(WithHeads(Dense(512, 6, 8, 2, 1536, 131072, 1e6, 1e-5, false), 64, 32),
                          SigmoidMoe(64, 8, 1, 128, 1, 2.5, 1, 1)))});
  v.push_back({"glm-4.5", "the shape of GLM-4.5 (32 B of 355 B active)", A::kGlm4Moe, "qwen3",
               WithQkNorm(WithMoe(
                   WithHeads(Dense(5120, 92, 96, 8, 12288, 131072, 1e6, 1e-5, false), 128, 64),
                   SigmoidMoe(160, 8, 1, 1536, 3, 2.5, 1, 1)))});
  return v;
}

}  // namespace

const std::vector<NamedShape>& NamedShapes() {
  static const std::vector<NamedShape> kShapes = MakeShapes();
  return kShapes;
}

}  // namespace tokenfab::model
