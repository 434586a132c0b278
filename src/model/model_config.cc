#include "tokenfab/model/model_config.h"

#include <cmath>

#include <fmt/format.h>

#include "gguf_keys.h"

namespace tokenfab::model {
namespace {

using internal::PositiveFloat;
using internal::PositiveInt;

Status CheckConsistency(const std::string& prefix, const ModelConfig& c) {
  if (c.n_head % c.n_head_kv != 0) {
    return absl::InvalidArgumentError(fmt::format(
        "{0}attention.head_count_kv = {1} does not divide {0}attention.head_count = {2}", prefix,
        c.n_head_kv, c.n_head));
  }
  if (!c.mla.enabled() && c.head_dim % 2 != 0) {
    return absl::InvalidArgumentError(
        fmt::format("head dimension {} is odd: RoPE rotates pairs", c.head_dim));
  }
  if (c.n_rot % 2 != 0 || c.n_rot > c.head_dim) {
    return absl::InvalidArgumentError(
        fmt::format("{}rope.dimension_count = {} must be even and at most the head dimension {}",
                    prefix, c.n_rot, c.head_dim));
  }
  return absl::OkStatus();
}

// The attention heads: plain (key_length / value_length) or, for deepseek2, latent.
Status ReadHeads(const GgufFile& file, const std::string& p, ModelConfig& c) {
  TF_ASSIGN_OR_RETURN(c.n_head, PositiveInt(file, p + "attention.head_count", -1));
  if (c.arch == Architecture::kDeepseek2) {
    TF_ASSIGN_OR_RETURN(c.mla, MlaConfig::FromGguf(file, p));
    c.n_head_kv = 1;
    c.head_dim = c.mla.latent_dim();
    c.n_rot = c.mla.qk_rope;
    return absl::OkStatus();
  }
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
    return absl::UnimplementedError(
        fmt::format("{}attention.value_length = {} differs from the key length {}", p, value_length,
                    c.head_dim));
  }
  TF_ASSIGN_OR_RETURN(c.n_rot, PositiveInt(file, p + "rope.dimension_count", c.head_dim));
  return absl::OkStatus();
}

Status ReadBlocks(const GgufFile& file, const std::string& p, ModelConfig& c) {
  TF_ASSIGN_OR_RETURN(int64_t block_count, PositiveInt(file, p + "block_count", -1));
  TF_ASSIGN_OR_RETURN(c.n_layer_nextn,
                      internal::NonNegativeInt(file, p + "nextn_predict_layers", 0));
  if (c.n_layer_nextn >= block_count) {
    return absl::InvalidArgumentError(
        fmt::format("{0}nextn_predict_layers = {1} leaves no block of {0}block_count = {2}", p,
                    c.n_layer_nextn, block_count));
  }
  c.n_layer = block_count - c.n_layer_nextn;
  return absl::OkStatus();
}

bool IsMoe(Architecture arch) {
  return arch == Architecture::kQwen3Moe || arch == Architecture::kDeepseek2 ||
         arch == Architecture::kGlm4Moe;
}

}  // namespace

StatusOr<ModelConfig> ModelConfig::FromGguf(const GgufFile& file) {
  ModelConfig c;
  TF_ASSIGN_OR_RETURN(std::string_view arch_name, file.GetString("general.architecture"));
  StatusOr<Architecture> arch = ParseArchitecture(arch_name);
  if (!arch.ok()) {
    return absl::UnimplementedError(
        fmt::format("general.architecture = \"{}\" is not supported ({})", arch_name,
                    KnownArchitectureNames()));
  }
  c.arch = *arch;
  if (file.HasKey("general.name")) {
    TF_ASSIGN_OR_RETURN(std::string_view name, file.GetString("general.name"));
    c.name = std::string(name);
  }
  const std::string p = std::string(arch_name) + ".";
  TF_ASSIGN_OR_RETURN(c.n_embd, PositiveInt(file, p + "embedding_length", -1));
  TF_RETURN_IF_ERROR(ReadBlocks(file, p, c));
  TF_RETURN_IF_ERROR(ReadHeads(file, p, c));
  TF_ASSIGN_OR_RETURN(c.n_ff, PositiveInt(file, p + "feed_forward_length", -1));
  TF_ASSIGN_OR_RETURN(c.n_ctx_train, PositiveInt(file, p + "context_length", -1));
  TF_ASSIGN_OR_RETURN(c.rms_eps, PositiveFloat(file, p + "attention.layer_norm_rms_epsilon", -1));
  TF_ASSIGN_OR_RETURN(c.rope_freq_base, PositiveFloat(file, p + "rope.freq_base", 10000.0));
  TF_ASSIGN_OR_RETURN(c.rope_scaling, RopeScaling::FromGguf(file, p, c.n_ctx_train));
  c.rope_style = UsesNeoxRope(c.arch) ? RopeStyle::kNeox : RopeStyle::kNormal;
  c.has_qkv_bias = file.FindTensor("blk.0.attn_q.bias") != nullptr;
  c.has_qk_norm =
      c.arch == Architecture::kQwen3 || c.arch == Architecture::kQwen3Moe ||
      (c.arch == Architecture::kGlm4Moe && file.FindTensor("blk.0.attn_q_norm.weight") != nullptr);
  if (IsMoe(c.arch)) {
    TF_ASSIGN_OR_RETURN(c.moe, MoeConfig::FromGguf(file, arch_name, c.n_layer, c.n_ff));
  }
  c.tied_output = file.FindTensor("output.weight") == nullptr;
  TF_ASSIGN_OR_RETURN(const GgufTensorInfo* embd, file.GetTensor("token_embd.weight"));
  if (embd->dims.size() != 2) {
    return absl::InvalidArgumentError("tensor token_embd.weight: expected 2 dimensions");
  }
  c.n_vocab = embd->dims[1];
  TF_RETURN_IF_ERROR(CheckConsistency(p, c));
  return c;
}

kernels::RopeParams ModelConfig::rope_params() const {
  kernels::RopeParams params;
  params.style = rope_style == RopeStyle::kNeox ? kernels::RopeParams::Style::kNeox
                                                : kernels::RopeParams::Style::kNormal;
  params.n_dims = static_cast<int>(n_rot);
  params.freq_base = rope_freq_base;
  rope_scaling.Apply(arch, params.n_dims, rope_freq_base, params);
  return params;
}

}  // namespace tokenfab::model
