#include "tokenfab/model/model_creator.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include <fmt/format.h>

#include "tokenfab/base/check.h"
#include "tokenfab/base/random.h"
#include "tokenfab/base/splitmix64.h"
#include "tokenfab/kernels/quantize.h"
#include "tokenfab/model/gguf_vocab.h"

namespace tokenfab::model {
namespace {

constexpr double kNormNoise = 0.02;           // deviation of the norm weights around 1
constexpr uint32_t kQuantizationVersion = 2;  // general.quantization_version of ggml's formats

// FNV-1a: a fixed, platform-independent hash of the tensor name.
uint64_t HashName(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t RowSeed(uint64_t tensor_seed, int64_t row) {
  return base::SplitMix64(tensor_seed ^ base::SplitMix64(static_cast<uint64_t>(row)));
}

PlannedTensor Plan(const ModelSpec& spec, std::string name, TensorRole role, int64_t layer,
                   std::vector<int64_t> dims) {
  const TensorTypeQuery query{.role = role,
                              .layer = layer,
                              .layers = spec.shape.layers,
                              .tied_embeddings = spec.shape.tied_embeddings,
                              .row_length = dims[0]};
  const kernels::GgmlType type = ChooseTensorType(spec.weights, query);
  return PlannedTensor{std::move(name), role, layer, std::move(dims), type};
}

using AddFn = std::function<void(std::string_view, TensorRole, std::vector<int64_t>)>;

// Q, K, V and output projections of ordinary (grouped-query) attention, with the optional
// biases and QK-norm.
void PlanAttention(const ModelSpec& spec, const AddFn& add) {
  const ModelShape& s = spec.shape;
  const int64_t dim = s.dim;
  const int64_t q_dim = s.heads * s.head_dim();
  const int64_t kv_dim = s.kv_heads * s.head_dim();
  add("attn_q.weight", TensorRole::kAttnQ, {dim, q_dim});
  if (spec.qkv_bias()) add("attn_q.bias", TensorRole::kBias, {q_dim});
  add("attn_k.weight", TensorRole::kAttnK, {dim, kv_dim});
  if (spec.qkv_bias()) add("attn_k.bias", TensorRole::kBias, {kv_dim});
  add("attn_v.weight", TensorRole::kAttnV, {dim, kv_dim});
  if (spec.qkv_bias()) add("attn_v.bias", TensorRole::kBias, {kv_dim});
  add("attn_output.weight", TensorRole::kAttnOutput, {q_dim, dim});
  if (spec.qk_norm()) {
    add("attn_q_norm.weight", TensorRole::kNorm, {s.head_dim()});
    add("attn_k_norm.weight", TensorRole::kNorm, {s.head_dim()});
  }
}

// Multi-head latent attention as current llama.cpp writes it (attn_k_b / attn_v_b split).
void PlanLatentAttention(const ModelSpec& spec, const AddFn& add) {
  const ModelShape& s = spec.shape;
  const MlaShape& m = s.mla;
  const int64_t q_dim = s.heads * (m.qk_nope + m.qk_rope);
  if (m.q_lora_rank > 0) {
    add("attn_q_a.weight", TensorRole::kAttnQ, {s.dim, m.q_lora_rank});
    add("attn_q_a_norm.weight", TensorRole::kNorm, {m.q_lora_rank});
    add("attn_q_b.weight", TensorRole::kAttnQ, {m.q_lora_rank, q_dim});
  } else {
    add("attn_q.weight", TensorRole::kAttnQ, {s.dim, q_dim});
  }
  add("attn_kv_a_mqa.weight", TensorRole::kAttnK, {s.dim, m.kv_lora_rank + m.qk_rope});
  add("attn_kv_a_norm.weight", TensorRole::kNorm, {m.kv_lora_rank});
  add("attn_k_b.weight", TensorRole::kAttnK, {m.qk_nope, m.kv_lora_rank, s.heads});
  add("attn_v_b.weight", TensorRole::kAttnV, {m.kv_lora_rank, m.v_head_dim, s.heads});
  add("attn_output.weight", TensorRole::kAttnOutput, {s.heads * m.v_head_dim, s.dim});
}

void PlanFeedForward(const ModelSpec& spec, int64_t layer, const AddFn& add) {
  const ModelShape& s = spec.shape;
  const MoeShape& m = s.moe;
  const bool moe = m.experts > 0 && layer >= m.dense_layers;
  // glm4moe names the feed-forward norm after the attention it follows.
  add(spec.arch == Architecture::kGlm4Moe ? "post_attention_norm.weight" : "ffn_norm.weight",
      TensorRole::kNorm, {s.dim});
  if (!moe) {
    add("ffn_gate.weight", TensorRole::kFfnGate, {s.dim, s.ffn});
    add("ffn_up.weight", TensorRole::kFfnUp, {s.dim, s.ffn});
    add("ffn_down.weight", TensorRole::kFfnDown, {s.ffn, s.dim});
    return;
  }
  add("ffn_gate_inp.weight", TensorRole::kRouter, {s.dim, m.experts});
  if (m.sigmoid) add("exp_probs_b.bias", TensorRole::kBias, {m.experts});
  add("ffn_gate_exps.weight", TensorRole::kFfnGate, {s.dim, m.expert_ffn, m.experts});
  add("ffn_up_exps.weight", TensorRole::kFfnUp, {s.dim, m.expert_ffn, m.experts});
  add("ffn_down_exps.weight", TensorRole::kFfnDown, {m.expert_ffn, s.dim, m.experts});
  if (m.shared_experts > 0) {
    const int64_t shared = m.shared_experts * m.expert_ffn;
    add("ffn_gate_shexp.weight", TensorRole::kFfnGate, {s.dim, shared});
    add("ffn_up_shexp.weight", TensorRole::kFfnUp, {s.dim, shared});
    add("ffn_down_shexp.weight", TensorRole::kFfnDown, {shared, s.dim});
  }
}

void PlanBlock(const ModelSpec& spec, int64_t i, std::vector<PlannedTensor>& out) {
  const AddFn add = [&](std::string_view suffix, TensorRole role, std::vector<int64_t> dims) {
    out.push_back(Plan(spec, fmt::format("blk.{}.{}", i, suffix), role, i, std::move(dims)));
  };
  add("attn_norm.weight", TensorRole::kNorm, {spec.shape.dim});
  if (spec.arch == Architecture::kDeepseek2) {
    PlanLatentAttention(spec, add);
  } else {
    PlanAttention(spec, add);
  }
  PlanFeedForward(spec, i, add);
}

// Generates and quantises every row of `tensor` into `out`.
Status FillTensor(const ModelSpec& spec, const PlannedTensor& tensor, base::ThreadPool& pool,
                  std::span<uint8_t> out) {
  const int64_t row_length = tensor.dims[0];
  int64_t rows = 1;
  for (size_t d = 1; d < tensor.dims.size(); ++d) rows *= tensor.dims[d];
  const int64_t row_bytes = kernels::GgmlRowBytes(tensor.type, row_length);
  TF_CHECK_EQ(static_cast<int64_t>(out.size()), rows * row_bytes);
  const uint64_t tensor_seed = base::SplitMix64(spec.seed) ^ HashName(tensor.name);
  const bool norm = tensor.role == TensorRole::kNorm;
  const double scale = norm ? kNormNoise : spec.init_std;
  const double center = norm ? 1.0 : 0.0;
  // About 64K values per task, so small tensors do not pay for threads.
  const int64_t min_rows = std::max<int64_t>(1, (int64_t{1} << 16) / row_length);
  pool.ParallelFor(rows, min_rows, [&](int64_t begin, int64_t end) {
    std::vector<float> values(row_length);
    for (int64_t row = begin; row < end; ++row) {
      base::Random random(RowSeed(tensor_seed, row));
      for (float& v : values) v = static_cast<float>(center + scale * random.Normal());
      kernels::QuantizeRow(tensor.type, values.data(), out.data() + row * row_bytes, row_length);
    }
  });
  return absl::OkStatus();
}

using KeyFn = std::function<void(std::string_view, GgufValue)>;

GgufValue U32(int64_t v) { return GgufValue::Uint32(static_cast<uint32_t>(v)); }

// The <arch>.expert_* keys llama.cpp reads.
void AddMoeMetadata(const ModelSpec& spec, const KeyFn& set) {
  const MoeShape& m = spec.shape.moe;
  set("expert_count", U32(m.experts));
  set("expert_used_count", U32(m.experts_used));
  set("expert_feed_forward_length", U32(m.expert_ffn));
  if (spec.arch == Architecture::kQwen3Moe) return;  // softmax, normalised: fixed in llama.cpp
  set("expert_shared_count", U32(m.shared_experts));
  set("leading_dense_block_count", U32(m.dense_layers));
  set("expert_gating_func", U32(m.sigmoid ? 2 : 1));
  set("expert_weights_norm", GgufValue::Bool(m.norm_weights));
  set("expert_weights_scale", GgufValue::Float32(static_cast<float>(m.weights_scale)));
  if (m.groups > 1) {
    set("expert_group_count", U32(m.groups));
    set("expert_group_used_count", U32(m.groups_used));
  }
}

// Head geometry: key/value lengths (llama.cpp's MLA convention for deepseek2), RoPE dimensions.
void AddHeadMetadata(const ModelSpec& spec, const KeyFn& set) {
  const ModelShape& s = spec.shape;
  set("attention.head_count", U32(s.heads));
  set("attention.head_count_kv", U32(s.kv_heads));
  set("rope.dimension_count", U32(s.rope_dim()));
  if (spec.arch == Architecture::kDeepseek2) {
    const MlaShape& m = s.mla;
    if (m.q_lora_rank > 0) set("attention.q_lora_rank", U32(m.q_lora_rank));
    set("attention.kv_lora_rank", U32(m.kv_lora_rank));
    set("attention.key_length", U32(m.kv_lora_rank + m.qk_rope));
    set("attention.value_length", U32(m.kv_lora_rank));
    set("attention.key_length_mla", U32(m.qk_nope + m.qk_rope));
    set("attention.value_length_mla", U32(m.v_head_dim));
  } else if (s.key_length > 0) {
    set("attention.key_length", U32(s.key_length));
    set("attention.value_length", U32(s.key_length));
  }
}

void AddMetadata(const ModelSpec& spec, int64_t vocab_size, GgufWriter& writer) {
  const std::string arch(ArchitectureName(spec.arch));
  const ModelShape& s = spec.shape;
  const KeyFn set = [&](std::string_view suffix, GgufValue value) {
    writer.Set(fmt::format("{}.{}", arch, suffix), std::move(value));
  };
  writer.Set("general.architecture", GgufValue::String(arch));
  writer.Set("general.type", GgufValue::String("model"));
  writer.Set("general.name", GgufValue::String(spec.name));
  writer.Set("general.file_type", GgufValue::Uint32(WeightSchemeFileType(spec.weights)));
  writer.Set("general.quantization_version", GgufValue::Uint32(kQuantizationVersion));
  set("vocab_size", U32(vocab_size));
  set("context_length", U32(s.context));
  set("embedding_length", U32(s.dim));
  set("block_count", U32(s.layers));
  set("feed_forward_length", U32(s.ffn));
  AddHeadMetadata(spec, set);
  set("rope.freq_base", GgufValue::Float32(static_cast<float>(s.rope_theta)));
  if (s.yarn.factor > 0) {
    set("rope.scaling.type", GgufValue::String("yarn"));
    set("rope.scaling.factor", GgufValue::Float32(static_cast<float>(s.yarn.factor)));
    set("rope.scaling.original_context_length", U32(s.yarn.original_context));
    if (s.yarn.log_multiplier > 0) {
      set("rope.scaling.yarn_log_multiplier",
          GgufValue::Float32(static_cast<float>(s.yarn.log_multiplier)));
    }
  }
  set("attention.layer_norm_rms_epsilon", GgufValue::Float32(static_cast<float>(s.rms_epsilon)));
  if (s.moe.experts > 0) AddMoeMetadata(spec, set);
  writer.Set("tokenfab.seed", GgufValue::Uint64(spec.seed));
  writer.Set("tokenfab.init_std", GgufValue::Float32(static_cast<float>(spec.init_std)));
}

}  // namespace

std::vector<PlannedTensor> PlanModelTensors(const ModelSpec& spec, int64_t vocab_size) {
  const int64_t dim = spec.shape.dim;
  std::vector<PlannedTensor> out;
  out.push_back(
      Plan(spec, "token_embd.weight", TensorRole::kTokenEmbedding, -1, {dim, vocab_size}));
  for (int64_t i = 0; i < spec.shape.layers; ++i) PlanBlock(spec, i, out);
  out.push_back(Plan(spec, "output_norm.weight", TensorRole::kNorm, -1, {dim}));
  if (!spec.shape.tied_embeddings) {
    out.push_back(Plan(spec, "output.weight", TensorRole::kOutput, -1, {dim, vocab_size}));
  }
  return out;
}

Status AddModel(const ModelSpec& spec, const tokenizer::Vocab& vocab, base::ThreadPool& pool,
                GgufWriter& writer) {
  TF_RETURN_IF_ERROR(spec.Validate());
  TF_RETURN_IF_ERROR(vocab.Validate());
  const int64_t vocab_size = static_cast<int64_t>(vocab.tokens.size());
  AddMetadata(spec, vocab_size, writer);
  TF_RETURN_IF_ERROR(WriteVocab(vocab, writer));
  for (PlannedTensor& tensor : PlanModelTensors(spec, vocab_size)) {
    std::string name = tensor.name;
    const kernels::GgmlType type = tensor.type;
    std::vector<int64_t> dims = tensor.dims;
    TF_RETURN_IF_ERROR(
        writer.AddTensor(std::move(name), type, std::move(dims),
                         [&spec, &pool, tensor = std::move(tensor)](std::span<uint8_t> out) {
                           return FillTensor(spec, tensor, pool, out);
                         }));
  }
  return absl::OkStatus();
}

Status CreateModelFile(const ModelSpec& spec, const tokenizer::Vocab& vocab, base::ThreadPool& pool,
                       const std::string& path) {
  GgufWriter writer;
  TF_RETURN_IF_ERROR(AddModel(spec, vocab, pool, writer));
  return writer.WriteFile(path);
}

}  // namespace tokenfab::model
