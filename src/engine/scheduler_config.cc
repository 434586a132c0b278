#include "tokenfab/engine/scheduler_config.h"

#include <algorithm>

#include <fmt/format.h>

namespace tokenfab::engine {
namespace {

Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

}  // namespace

int64_t KvBytesPerToken(const KvModelShape& model) {
  const int64_t value_dim = model.value_dim < 0 ? model.head_dim : model.value_dim;
  return int64_t{model.n_layer} * model.n_head_kv * (model.head_dim + value_dim) *
         model.bytes_per_element;
}

Status SchedulerConfig::Validate() const {
  if (block_size < 1 || block_size > 4096) {
    return Invalid(fmt::format("block_size {} is not in [1, 4096]", block_size));
  }
  if (num_kv_blocks < 1) return Invalid(fmt::format("num_kv_blocks {} < 1", num_kv_blocks));
  const int64_t capacity = int64_t{num_kv_blocks} * block_size;
  if (max_context_tokens < 2 || max_context_tokens > capacity) {
    return Invalid(fmt::format(
        "max_context_tokens {} is not in [2, {}] (the KV pool holds {} blocks of {} tokens)",
        max_context_tokens, capacity, num_kv_blocks, block_size));
  }
  if (max_running_sequences < 1) {
    return Invalid(fmt::format("max_running_sequences {} < 1", max_running_sequences));
  }
  if (max_batch_tokens < max_running_sequences) {
    return Invalid(
        fmt::format("max_batch_tokens {} < max_running_sequences {}: every running "
                    "sequence must be able to decode at every step",
                    max_batch_tokens, max_running_sequences));
  }
  if (max_prefill_chunk_tokens < 1 || max_prefill_chunk_tokens > max_batch_tokens) {
    return Invalid(fmt::format("max_prefill_chunk_tokens {} is not in [1, max_batch_tokens {}]",
                               max_prefill_chunk_tokens, max_batch_tokens));
  }
  if (admission_reserve_blocks < 0 || admission_reserve_blocks >= num_kv_blocks) {
    return Invalid(fmt::format("admission_reserve_blocks {} is not in [0, num_kv_blocks {})",
                               admission_reserve_blocks, num_kv_blocks));
  }
  if (tpot_slo_us < 0) return Invalid(fmt::format("tpot_slo_us {} < 0", tpot_slo_us));
  if (min_prefill_tokens < 0) {
    return Invalid(fmt::format("min_prefill_tokens {} < 0", min_prefill_tokens));
  }
  TF_RETURN_IF_ERROR(step_model.Validate());
  return absl::OkStatus();
}

StatusOr<SchedulerConfig> DefaultSchedulerConfig(const KvModelShape& model, int64_t kv_memory_bytes,
                                                 int32_t block_size) {
  if (model.n_layer < 1 || model.n_head_kv < 1 || model.head_dim < 1 ||
      model.bytes_per_element < 1) {
    return Invalid(
        fmt::format("incomplete KV shape: n_layer {}, n_head_kv {}, head_dim {}, "
                    "{} bytes per element",
                    model.n_layer, model.n_head_kv, model.head_dim, model.bytes_per_element));
  }
  if (block_size < 1) return Invalid(fmt::format("block_size {} < 1", block_size));
  const int64_t block_bytes = KvBytesPerToken(model) * block_size;
  const int64_t blocks = kv_memory_bytes / block_bytes;
  if (blocks < 1) {
    return Invalid(fmt::format("{} bytes of KV memory hold no block of {} tokens ({} bytes)",
                               kv_memory_bytes, block_size, block_bytes));
  }
  SchedulerConfig config;
  config.block_size = block_size;
  config.num_kv_blocks = static_cast<int32_t>(std::min<int64_t>(blocks, INT32_MAX / block_size));
  const int64_t capacity = int64_t{config.num_kv_blocks} * block_size;
  config.max_context_tokens = static_cast<int32_t>(
      model.n_ctx_train > 0 ? std::min<int64_t>(model.n_ctx_train, capacity) : capacity);
  config.max_running_sequences = std::min(256, config.num_kv_blocks);
  config.max_batch_tokens = std::max(2048, config.max_running_sequences);
  config.max_prefill_chunk_tokens = config.max_batch_tokens;
  config.admission_reserve_blocks = config.num_kv_blocks / 100;
  TF_RETURN_IF_ERROR(config.Validate());
  return config;
}

}  // namespace tokenfab::engine
