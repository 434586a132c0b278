#include "tokenfab/model/model_spec.h"

#include <cmath>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tokenfab::model {
namespace {

// Upper bounds that keep every size well inside the metadata's uint32 and the tensors' int64.
constexpr int64_t kMaxDim = 1 << 16;
constexpr int64_t kMaxLayers = 1 << 10;
constexpr int64_t kMaxFfn = 1 << 18;
constexpr int64_t kMaxContext = 1 << 24;

Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

Status CheckRange(std::string_view field, int64_t value, int64_t max) {
  if (value < 1 || value > max) {
    return Invalid(fmt::format("{} = {} is outside 1..{}", field, value, max));
  }
  return absl::OkStatus();
}

Status CheckPositive(std::string_view field, double value) {
  if (!std::isfinite(value) || value <= 0) {
    return Invalid(fmt::format("{} = {} must be positive and finite", field, value));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view ArchitectureName(Architecture arch) {
  return arch == Architecture::kQwen2 ? "qwen2" : "llama";
}

StatusOr<Architecture> ParseArchitecture(std::string_view name) {
  if (name == "llama") return Architecture::kLlama;
  if (name == "qwen2") return Architecture::kQwen2;
  return Invalid(fmt::format("unknown architecture '{}'; known: llama, qwen2", name));
}

const std::vector<NamedShape>& NamedShapes() {
  static const std::vector<NamedShape> kShapes = {
      {"tiny", "2 layers of dim 64, for tests", Architecture::kLlama, "llama3",
       ModelShape{.dim = 64,
                  .layers = 2,
                  .heads = 4,
                  .kv_heads = 2,
                  .ffn = 128,
                  .context = 256,
                  .rope_theta = 10000.0,
                  .rms_epsilon = 1e-5,
                  .tied_embeddings = true}},
      {"llama-3.2-1b", "the shape of Llama 3.2 1B", Architecture::kLlama, "llama3",
       ModelShape{.dim = 2048,
                  .layers = 16,
                  .heads = 32,
                  .kv_heads = 8,
                  .ffn = 8192,
                  .context = 131072,
                  .rope_theta = 500000.0,
                  .rms_epsilon = 1e-5,
                  .tied_embeddings = true}},
      {"qwen2.5-0.5b", "the shape of Qwen2.5 0.5B", Architecture::kQwen2, "qwen3",
       ModelShape{.dim = 896,
                  .layers = 24,
                  .heads = 14,
                  .kv_heads = 2,
                  .ffn = 4864,
                  .context = 32768,
                  .rope_theta = 1000000.0,
                  .rms_epsilon = 1e-6,
                  .tied_embeddings = true}},
  };
  return kShapes;
}

StatusOr<NamedShape> FindNamedShape(std::string_view name) {
  std::vector<std::string_view> names;
  for (const NamedShape& shape : NamedShapes()) {
    if (shape.name == name) return shape;
    names.push_back(shape.name);
  }
  return Invalid(fmt::format("unknown shape '{}'; known: {}", name, fmt::join(names, ", ")));
}

Status ModelSpec::Validate() const {
  const ModelShape& s = shape;
  TF_RETURN_IF_ERROR(CheckRange("dim", s.dim, kMaxDim));
  TF_RETURN_IF_ERROR(CheckRange("layers", s.layers, kMaxLayers));
  TF_RETURN_IF_ERROR(CheckRange("heads", s.heads, s.dim));
  TF_RETURN_IF_ERROR(CheckRange("kv_heads", s.kv_heads, s.heads));
  TF_RETURN_IF_ERROR(CheckRange("ffn", s.ffn, kMaxFfn));
  TF_RETURN_IF_ERROR(CheckRange("context", s.context, kMaxContext));
  if (s.dim % s.heads != 0) {
    return Invalid(fmt::format("heads = {} does not divide dim = {}", s.heads, s.dim));
  }
  if (s.heads % s.kv_heads != 0) {
    return Invalid(fmt::format("kv_heads = {} does not divide heads = {}", s.kv_heads, s.heads));
  }
  if (s.head_dim() % 2 != 0) {
    return Invalid(
        fmt::format("head_dim = dim / heads = {} is odd; RoPE needs it even", s.head_dim()));
  }
  TF_RETURN_IF_ERROR(CheckPositive("rope_theta", s.rope_theta));
  TF_RETURN_IF_ERROR(CheckPositive("rms_epsilon", s.rms_epsilon));
  TF_RETURN_IF_ERROR(CheckPositive("init_std", init_std));
  if (!IsWeightSchemeAvailable(weights)) {
    return absl::UnimplementedError(
        fmt::format("weight type {} cannot be written yet", WeightSchemeName(weights)));
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::model
