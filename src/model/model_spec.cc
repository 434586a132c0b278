#include "tokenfab/model/model_spec.h"

#include <array>
#include <cmath>
#include <utility>

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

namespace {

constexpr std::array<std::pair<Architecture, std::string_view>, 6> kArchitectures = {{
    {Architecture::kLlama, "llama"},
    {Architecture::kQwen2, "qwen2"},
    {Architecture::kQwen3, "qwen3"},
    {Architecture::kQwen3Moe, "qwen3moe"},
    {Architecture::kDeepseek2, "deepseek2"},
    {Architecture::kGlm4Moe, "glm4moe"},
}};

bool IsMoe(Architecture arch) {
  return arch == Architecture::kQwen3Moe || arch == Architecture::kDeepseek2 ||
         arch == Architecture::kGlm4Moe;
}

Status ValidateMoe(Architecture arch, const ModelShape& s) {
  const MoeShape& m = s.moe;
  if (!IsMoe(arch)) {
    if (m.experts != 0) {
      return Invalid(
          fmt::format("experts = {}: {} has no experts", m.experts, ArchitectureName(arch)));
    }
    return absl::OkStatus();
  }
  TF_RETURN_IF_ERROR(CheckRange("experts", m.experts, 1024));
  TF_RETURN_IF_ERROR(CheckRange("experts_used", m.experts_used, m.experts));
  TF_RETURN_IF_ERROR(CheckRange("expert_ffn", m.expert_ffn, kMaxFfn));
  if (m.shared_experts < 0 || m.shared_experts > 16) {
    return Invalid(fmt::format("shared_experts = {} is outside 0..16", m.shared_experts));
  }
  if (m.dense_layers < 0 || m.dense_layers >= s.layers) {
    return Invalid(fmt::format("dense_layers = {} must leave a MoE block of {} layers",
                               m.dense_layers, s.layers));
  }
  if (arch == Architecture::kQwen3Moe && (m.shared_experts != 0 || m.dense_layers != 0)) {
    return Invalid("qwen3moe has neither shared experts nor dense layers");
  }
  TF_RETURN_IF_ERROR(CheckPositive("weights_scale", m.weights_scale));
  TF_RETURN_IF_ERROR(CheckRange("groups", m.groups, m.experts));
  TF_RETURN_IF_ERROR(CheckRange("groups_used", m.groups_used, m.groups));
  if (m.experts % m.groups != 0 ||
      (m.groups > 1 && m.groups_used * (m.experts / m.groups) < m.experts_used)) {
    return Invalid(fmt::format("groups = {} (used {}) do not fit experts = {} (used {})", m.groups,
                               m.groups_used, m.experts, m.experts_used));
  }
  return absl::OkStatus();
}

Status ValidateMla(Architecture arch, const ModelShape& s) {
  const MlaShape& m = s.mla;
  if (arch != Architecture::kDeepseek2) {
    if (m.kv_lora_rank != 0) {
      return Invalid(fmt::format("kv_lora_rank = {}: {} has no latent attention", m.kv_lora_rank,
                                 ArchitectureName(arch)));
    }
    return absl::OkStatus();
  }
  TF_RETURN_IF_ERROR(CheckRange("kv_lora_rank", m.kv_lora_rank, kMaxDim));
  TF_RETURN_IF_ERROR(CheckRange("qk_nope", m.qk_nope, kMaxDim));
  TF_RETURN_IF_ERROR(CheckRange("qk_rope", m.qk_rope, kMaxDim));
  TF_RETURN_IF_ERROR(CheckRange("v_head_dim", m.v_head_dim, kMaxDim));
  if (m.q_lora_rank < 0 || m.q_lora_rank > kMaxDim) {
    return Invalid(fmt::format("q_lora_rank = {} is outside 0..{}", m.q_lora_rank, kMaxDim));
  }
  if (m.qk_rope % 2 != 0) {
    return Invalid(fmt::format("qk_rope = {} is odd; RoPE needs it even", m.qk_rope));
  }
  if (s.kv_heads != 1) {
    return Invalid(fmt::format("kv_heads = {}: latent attention caches one head", s.kv_heads));
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view ArchitectureName(Architecture arch) {
  for (const auto& [a, name] : kArchitectures) {
    if (a == arch) return name;
  }
  return "llama";
}

StatusOr<Architecture> ParseArchitecture(std::string_view name) {
  for (const auto& [arch, known] : kArchitectures) {
    if (known == name) return arch;
  }
  return Invalid(
      fmt::format("unknown architecture '{}'; known: {}", name, KnownArchitectureNames()));
}

std::string KnownArchitectureNames() {
  std::vector<std::string_view> names;
  for (const auto& entry : kArchitectures) names.push_back(entry.second);
  return fmt::format("{}", fmt::join(names, ", "));
}

bool UsesNeoxRope(Architecture arch) {
  return arch != Architecture::kLlama && arch != Architecture::kDeepseek2;
}

StatusOr<NamedShape> FindNamedShape(std::string_view name) {
  std::vector<std::string_view> names;
  for (const NamedShape& shape : NamedShapes()) {
    if (shape.name == name) return shape;
    names.push_back(shape.name);
  }
  return Invalid(fmt::format("unknown shape '{}'; known: {}", name, fmt::join(names, ", ")));
}

std::string_view DefaultShapeName(Architecture arch) {
  switch (arch) {
    case Architecture::kLlama:
      return "tiny";
    case Architecture::kQwen2:
      return "tiny";
    case Architecture::kQwen3:
      return "tiny-qwen3";
    case Architecture::kQwen3Moe:
      return "tiny-qwen3moe";
    case Architecture::kDeepseek2:
      return "tiny-deepseek2";
    case Architecture::kGlm4Moe:
      return "tiny-glm4moe";
  }
  return "tiny";
}

Status ValidateYarn(const ModelShape& s) {
  const YarnShape& y = s.yarn;
  if (y.factor == 0.0) return absl::OkStatus();
  if (!(y.factor >= 1.0 && y.factor <= 1e6)) {
    return Invalid(fmt::format("yarn factor = {} must be within [1, 1000000]", y.factor));
  }
  TF_RETURN_IF_ERROR(CheckRange("yarn original_context", y.original_context, kMaxContext));
  if (!(y.log_multiplier >= 0.0 && y.log_multiplier <= 10.0)) {
    return Invalid(
        fmt::format("yarn log_multiplier = {} must be within [0, 10]", y.log_multiplier));
  }
  return absl::OkStatus();
}

Status ModelSpec::Validate() const {
  const ModelShape& s = shape;
  TF_RETURN_IF_ERROR(CheckRange("dim", s.dim, kMaxDim));
  TF_RETURN_IF_ERROR(CheckRange("layers", s.layers, kMaxLayers));
  TF_RETURN_IF_ERROR(CheckRange("heads", s.heads, s.key_length > 0 ? kMaxDim : s.dim));
  TF_RETURN_IF_ERROR(CheckRange("kv_heads", s.kv_heads, s.heads));
  if (s.key_length < 0 || s.key_length > 4096 || s.rope_dims < 0 || s.rope_dims > s.head_dim()) {
    return Invalid(
        fmt::format("key_length = {}, rope_dims = {}: out of range", s.key_length, s.rope_dims));
  }
  TF_RETURN_IF_ERROR(CheckRange("ffn", s.ffn, kMaxFfn));
  TF_RETURN_IF_ERROR(CheckRange("context", s.context, kMaxContext));
  if (s.key_length == 0 && s.dim % s.heads != 0) {
    return Invalid(fmt::format("heads = {} does not divide dim = {}", s.heads, s.dim));
  }
  if (s.heads % s.kv_heads != 0) {
    return Invalid(fmt::format("kv_heads = {} does not divide heads = {}", s.kv_heads, s.heads));
  }
  if (s.head_dim() % 2 != 0) {
    return Invalid(fmt::format("head_dim = {} = {} is odd; RoPE needs it even",
                               s.key_length > 0 ? "key_length" : "dim / heads", s.head_dim()));
  }
  if (s.rope_dim() % 2 != 0) {
    return Invalid(fmt::format("rope_dims = {} is odd; RoPE needs it even", s.rope_dim()));
  }
  TF_RETURN_IF_ERROR(ValidateMoe(arch, s));
  TF_RETURN_IF_ERROR(ValidateMla(arch, s));
  TF_RETURN_IF_ERROR(ValidateYarn(s));
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
