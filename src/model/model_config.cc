#include "tokenfab/model/model_config.h"

#include <cmath>

#include <fmt/format.h>

namespace tokenfab::model {
namespace {

// A positive integer key, or `fallback` when the key is absent and fallback >= 0.
StatusOr<int64_t> PositiveInt(const GgufFile& file, const std::string& key, int64_t fallback) {
  if (!file.HasKey(key)) {
    if (fallback >= 0) return fallback;
    return absl::InvalidArgumentError(fmt::format("key {} missing", key));
  }
  TF_ASSIGN_OR_RETURN(int64_t value, file.GetInt(key));
  if (value <= 0 || value > (int64_t{1} << 31)) {
    return absl::InvalidArgumentError(fmt::format("{} = {} is out of range", key, value));
  }
  return value;
}

// A positive finite float key, or `fallback` when the key is absent and fallback > 0.
StatusOr<float> PositiveFloat(const GgufFile& file, const std::string& key, double fallback) {
  double value = fallback;
  if (file.HasKey(key)) {
    TF_ASSIGN_OR_RETURN(value, file.GetFloat(key));
  } else if (fallback <= 0) {
    return absl::InvalidArgumentError(fmt::format("key {} missing", key));
  }
  if (!std::isfinite(value) || value <= 0) {
    return absl::InvalidArgumentError(fmt::format("{} = {} must be positive", key, value));
  }
  return static_cast<float>(value);
}

Status ReadRopeScaling(const GgufFile& file, const std::string& prefix, ModelConfig& config) {
  const std::string type_key = prefix + "rope.scaling.type";
  if (!file.HasKey(type_key)) return absl::OkStatus();
  TF_ASSIGN_OR_RETURN(std::string_view type, file.GetString(type_key));
  if (type == "none") return absl::OkStatus();
  if (type != "linear") {
    return absl::UnimplementedError(
        fmt::format("{} = \"{}\" is not supported (only none and linear)", type_key, type));
  }
  TF_ASSIGN_OR_RETURN(float factor, PositiveFloat(file, prefix + "rope.scaling.factor", 1.0));
  config.rope_freq_scale = 1.0f / factor;
  return absl::OkStatus();
}

Status CheckConsistency(const std::string& prefix, const ModelConfig& c) {
  if (c.n_head % c.n_head_kv != 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{0}attention.head_count_kv = {1} does not divide {0}attention.head_count = {2}", prefix,
        c.n_head_kv, c.n_head));
  }
  if (c.head_dim % 2 != 0) {
    return absl::InvalidArgumentError(
        fmt::format("head dimension {} is odd: RoPE rotates pairs", c.head_dim));
  }
  if (c.n_rot % 2 != 0 || c.n_rot > c.head_dim) {
    return absl::InvalidArgumentError(fmt::format(
        "{}rope.dimension_count = {} must be even and at most the head dimension {}", prefix,
        c.n_rot, c.head_dim));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<ModelConfig> ModelConfig::FromGguf(const GgufFile& file) {
  ModelConfig c;
  TF_ASSIGN_OR_RETURN(std::string_view arch_name, file.GetString("general.architecture"));
  StatusOr<Architecture> arch = ParseArchitecture(arch_name);
  if (!arch.ok()) {
    return absl::UnimplementedError(fmt::format(
        "general.architecture = \"{}\" is not supported (llama, qwen2)", arch_name));
  }
  c.arch = *arch;
  if (file.HasKey("general.name")) {
    TF_ASSIGN_OR_RETURN(std::string_view name, file.GetString("general.name"));
    c.name = std::string(name);
  }
  const std::string p = std::string(arch_name) + ".";
  TF_ASSIGN_OR_RETURN(c.n_embd, PositiveInt(file, p + "embedding_length", -1));
  TF_ASSIGN_OR_RETURN(c.n_layer, PositiveInt(file, p + "block_count", -1));
  TF_ASSIGN_OR_RETURN(c.n_head, PositiveInt(file, p + "attention.head_count", -1));
  TF_ASSIGN_OR_RETURN(c.n_head_kv, PositiveInt(file, p + "attention.head_count_kv", c.n_head));
  if (!file.HasKey(p + "attention.key_length") && c.n_embd % c.n_head != 0) {
    return absl::InvalidArgumentError(
        fmt::format("{0}attention.head_count = {1} does not divide {0}embedding_length = {2}", p,
                    c.n_head, c.n_embd));
  }
  TF_ASSIGN_OR_RETURN(c.head_dim,
                      PositiveInt(file, p + "attention.key_length", c.n_embd / c.n_head));
  TF_ASSIGN_OR_RETURN(int64_t value_length,
                      PositiveInt(file, p + "attention.value_length", c.head_dim));
  if (value_length != c.head_dim) {
    return absl::UnimplementedError(fmt::format(
        "{}attention.value_length = {} differs from the key length {}", p, value_length,
        c.head_dim));
  }
  TF_ASSIGN_OR_RETURN(c.n_ff, PositiveInt(file, p + "feed_forward_length", -1));
  TF_ASSIGN_OR_RETURN(c.n_ctx_train, PositiveInt(file, p + "context_length", -1));
  TF_ASSIGN_OR_RETURN(c.rms_eps, PositiveFloat(file, p + "attention.layer_norm_rms_epsilon", -1));
  TF_ASSIGN_OR_RETURN(c.n_rot, PositiveInt(file, p + "rope.dimension_count", c.head_dim));
  TF_ASSIGN_OR_RETURN(c.rope_freq_base, PositiveFloat(file, p + "rope.freq_base", 10000.0));
  TF_RETURN_IF_ERROR(ReadRopeScaling(file, p, c));
  c.rope_style = c.arch == Architecture::kQwen2 ? RopeStyle::kNeox : RopeStyle::kNormal;
  c.has_qkv_bias = file.FindTensor("blk.0.attn_q.bias") != nullptr;
  c.tied_output = file.FindTensor("output.weight") == nullptr;
  TF_ASSIGN_OR_RETURN(const GgufTensorInfo* embd, file.GetTensor("token_embd.weight"));
  if (embd->dims.size() != 2) {
    return absl::InvalidArgumentError("tensor token_embd.weight: expected 2 dimensions");
  }
  c.n_vocab = embd->dims[1];
  TF_RETURN_IF_ERROR(CheckConsistency(p, c));
  return c;
}

}  // namespace tokenfab::model
