#include "tokenfab/model/moe_config.h"

#include <fmt/format.h>

#include "gguf_keys.h"

namespace tokenfab::model {
namespace {

Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

StatusOr<ExpertGating> ReadGating(const GgufFile& file, const std::string& key,
                                  ExpertGating fallback) {
  TF_ASSIGN_OR_RETURN(int64_t value, internal::NonNegativeInt(file, key, 0));
  switch (value) {
    case 0:
      return fallback;  // llama.cpp's "none": the architecture's default
    case 1:
      return ExpertGating::kSoftmax;
    case 2:
      return ExpertGating::kSigmoid;
    default:
      return absl::UnimplementedError(
          fmt::format("{} = {} is not supported (1 softmax, 2 sigmoid)", key, value));
  }
}

Status CheckGroups(const std::string& p, const MoeConfig& c) {
  if (c.n_group <= 1) return absl::OkStatus();
  if (c.n_expert % c.n_group != 0) {
    return Invalid(fmt::format("{0}expert_group_count = {1} does not divide {0}expert_count = {2}",
                               p, c.n_group, c.n_expert));
  }
  if (c.n_group_used < 1 || c.n_group_used > c.n_group) {
    return Invalid(
        fmt::format("{0}expert_group_used_count = {1} is outside 1..{0}"
                    "expert_group_count = {2}",
                    p, c.n_group_used, c.n_group));
  }
  if (c.n_expert / c.n_group < 2) {
    return Invalid(
        fmt::format("{}expert_group_count = {}: groups need at least 2 experts", p, c.n_group));
  }
  if (c.n_group_used * (c.n_expert / c.n_group) < c.n_expert_used) {
    return Invalid(
        fmt::format("{0}expert_group_used_count = {1} groups hold fewer experts than "
                    "{0}expert_used_count = {2}",
                    p, c.n_group_used, c.n_expert_used));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<MoeConfig> MoeConfig::FromGguf(const GgufFile& file, std::string_view arch_name,
                                        int64_t n_layer, int64_t n_ff) {
  const std::string p = std::string(arch_name) + ".";
  const bool qwen = arch_name == "qwen3moe";
  MoeConfig c;
  TF_ASSIGN_OR_RETURN(c.n_expert, internal::PositiveInt(file, p + "expert_count", -1));
  TF_ASSIGN_OR_RETURN(c.n_expert_used, internal::PositiveInt(file, p + "expert_used_count", -1));
  if (c.n_expert_used > c.n_expert) {
    return Invalid(fmt::format("{0}expert_used_count = {1} exceeds {0}expert_count = {2}", p,
                               c.n_expert_used, c.n_expert));
  }
  // llama.cpp: qwen3moe and glm4moe fall back to n_ff / n_expert_used; deepseek2 requires it.
  const int64_t ff_fallback = arch_name == "deepseek2" ? -1 : n_ff / c.n_expert_used;
  TF_ASSIGN_OR_RETURN(c.n_ff_exp,
                      internal::PositiveInt(file, p + "expert_feed_forward_length", ff_fallback));
  if (c.n_ff_exp <= 0) return Invalid(fmt::format("key {}expert_feed_forward_length missing", p));
  if (!qwen) {
    TF_ASSIGN_OR_RETURN(c.n_expert_shared,
                        internal::NonNegativeInt(file, p + "expert_shared_count", -1));
    if (c.n_expert_shared < 0) return Invalid(fmt::format("key {}expert_shared_count missing", p));
    TF_ASSIGN_OR_RETURN(c.n_dense_lead,
                        internal::NonNegativeInt(file, p + "leading_dense_block_count", 0));
    if (c.n_dense_lead > n_layer) {
      return Invalid(fmt::format("{0}leading_dense_block_count = {1} exceeds {0}block_count = {2}",
                                 p, c.n_dense_lead, n_layer));
    }
  }
  const ExpertGating fallback =
      arch_name == "glm4moe" ? ExpertGating::kSigmoid : ExpertGating::kSoftmax;
  TF_ASSIGN_OR_RETURN(c.gating, ReadGating(file, p + "expert_gating_func", fallback));
  if (qwen) c.gating = ExpertGating::kSoftmax;
  TF_ASSIGN_OR_RETURN(c.weights_norm, internal::Bool(file, p + "expert_weights_norm", false));
  if (qwen) c.weights_norm = true;
  TF_ASSIGN_OR_RETURN(c.weights_scale,
                      internal::PositiveFloat(file, p + "expert_weights_scale", 1.0));
  TF_ASSIGN_OR_RETURN(c.n_group, internal::NonNegativeInt(file, p + "expert_group_count", 1));
  TF_ASSIGN_OR_RETURN(c.n_group_used,
                      internal::NonNegativeInt(file, p + "expert_group_used_count", 1));
  if (c.n_group == 0) c.n_group = 1;
  TF_RETURN_IF_ERROR(CheckGroups(p, c));
  return c;
}

}  // namespace tokenfab::model
