#include "tokenfab/model/model_creator.h"

#include <algorithm>
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

void PlanBlock(const ModelSpec& spec, int64_t i, std::vector<PlannedTensor>& out) {
  const int64_t dim = spec.shape.dim;
  const int64_t kv_dim = spec.shape.kv_heads * spec.shape.head_dim();
  const int64_t ffn = spec.shape.ffn;
  auto add = [&](std::string_view suffix, TensorRole role, std::vector<int64_t> dims) {
    out.push_back(Plan(spec, fmt::format("blk.{}.{}", i, suffix), role, i, std::move(dims)));
  };
  add("attn_norm.weight", TensorRole::kNorm, {dim});
  add("attn_q.weight", TensorRole::kAttnQ, {dim, dim});
  if (spec.qkv_bias()) add("attn_q.bias", TensorRole::kBias, {dim});
  add("attn_k.weight", TensorRole::kAttnK, {dim, kv_dim});
  if (spec.qkv_bias()) add("attn_k.bias", TensorRole::kBias, {kv_dim});
  add("attn_v.weight", TensorRole::kAttnV, {dim, kv_dim});
  if (spec.qkv_bias()) add("attn_v.bias", TensorRole::kBias, {kv_dim});
  add("attn_output.weight", TensorRole::kAttnOutput, {dim, dim});
  add("ffn_norm.weight", TensorRole::kNorm, {dim});
  add("ffn_gate.weight", TensorRole::kFfnGate, {dim, ffn});
  add("ffn_up.weight", TensorRole::kFfnUp, {dim, ffn});
  add("ffn_down.weight", TensorRole::kFfnDown, {ffn, dim});
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

void AddMetadata(const ModelSpec& spec, int64_t vocab_size, GgufWriter& writer) {
  const std::string arch(ArchitectureName(spec.arch));
  const ModelShape& s = spec.shape;
  auto key = [&arch](std::string_view suffix) { return fmt::format("{}.{}", arch, suffix); };
  auto u32 = [](int64_t v) { return GgufValue::Uint32(static_cast<uint32_t>(v)); };
  writer.Set("general.architecture", GgufValue::String(arch));
  writer.Set("general.type", GgufValue::String("model"));
  writer.Set("general.name", GgufValue::String(spec.name));
  writer.Set("general.file_type", GgufValue::Uint32(WeightSchemeFileType(spec.weights)));
  writer.Set("general.quantization_version", GgufValue::Uint32(kQuantizationVersion));
  writer.Set(key("vocab_size"), u32(vocab_size));
  writer.Set(key("context_length"), u32(s.context));
  writer.Set(key("embedding_length"), u32(s.dim));
  writer.Set(key("block_count"), u32(s.layers));
  writer.Set(key("feed_forward_length"), u32(s.ffn));
  writer.Set(key("attention.head_count"), u32(s.heads));
  writer.Set(key("attention.head_count_kv"), u32(s.kv_heads));
  writer.Set(key("rope.freq_base"), GgufValue::Float32(static_cast<float>(s.rope_theta)));
  writer.Set(key("rope.dimension_count"), u32(s.head_dim()));
  writer.Set(key("attention.layer_norm_rms_epsilon"),
             GgufValue::Float32(static_cast<float>(s.rms_epsilon)));
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
