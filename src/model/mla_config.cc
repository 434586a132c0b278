#include "tokenfab/model/mla_config.h"

#include <fmt/format.h>

#include "gguf_keys.h"

namespace tokenfab::model {
namespace {

Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

}  // namespace

StatusOr<MlaConfig> MlaConfig::FromGguf(const GgufFile& file, std::string_view prefix) {
  const std::string p(prefix);
  MlaConfig c;
  TF_ASSIGN_OR_RETURN(c.kv_lora_rank,
                      internal::PositiveInt(file, p + "attention.kv_lora_rank", -1));
  TF_ASSIGN_OR_RETURN(c.q_lora_rank,
                      internal::NonNegativeInt(file, p + "attention.q_lora_rank", 0));
  TF_ASSIGN_OR_RETURN(c.qk_rope, internal::PositiveInt(file, p + "rope.dimension_count", -1));
  TF_ASSIGN_OR_RETURN(int64_t key_length,
                      internal::PositiveInt(file, p + "attention.key_length", -1));
  TF_ASSIGN_OR_RETURN(int64_t value_length,
                      internal::PositiveInt(file, p + "attention.value_length", -1));
  const std::string key_mla = p + "attention.key_length_mla";
  const std::string value_mla = p + "attention.value_length_mla";
  c.split_kv_b = file.HasKey(key_mla) || file.HasKey(value_mla);
  if (c.split_kv_b) {
    // MLA layout: key_length / value_length describe the cached latent row.
    if (key_length != c.latent_dim()) {
      return Invalid(
          fmt::format("{0}attention.key_length = {1}, expected {0}attention.kv_lora_rank + "
                      "{0}rope.dimension_count = {2}",
                      p, key_length, c.latent_dim()));
    }
    if (value_length != c.kv_lora_rank) {
      return Invalid(
          fmt::format("{0}attention.value_length = {1}, expected {0}attention.kv_lora_rank = {2}",
                      p, value_length, c.kv_lora_rank));
    }
    TF_ASSIGN_OR_RETURN(key_length, internal::PositiveInt(file, key_mla, -1));
    TF_ASSIGN_OR_RETURN(value_length, internal::PositiveInt(file, value_mla, -1));
  }
  if (key_length <= c.qk_rope) {
    return Invalid(fmt::format("{} = {} leaves no room for {}rope.dimension_count = {}",
                               c.split_kv_b ? key_mla : p + "attention.key_length", key_length, p,
                               c.qk_rope));
  }
  if (c.qk_rope % 2 != 0) {
    return Invalid(fmt::format("{}rope.dimension_count = {} is odd", p, c.qk_rope));
  }
  c.qk_nope = key_length - c.qk_rope;
  c.v_head_dim = value_length;
  return c;
}

}  // namespace tokenfab::model
