// SchedulerConfig: the engine's limits (context length, running sequences, KV blocks, token
// budget per step, prefill chunk), with defaults computed from the model's KV shape and the
// memory given to the KV cache. A plain value.
#pragma once

#include <cstdint>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/performance_model.h"

namespace tokenfab::engine {

// What the KV cache's size depends on, from the model's hyperparameters.
struct KvModelShape {
  int32_t n_layer = 0;
  int32_t n_head_kv = 0;          // key/value heads (grouped-query attention: fewer than n_head)
  int32_t head_dim = 0;           // elements per head, for K and for V
  int32_t n_ctx_train = 0;        // tokens the model was trained on; 0 = unknown
  int32_t bytes_per_element = 2;  // of the KV cache's element type: 2 for F16/BF16, 4 for F32
  int32_t value_dim = -1;  // elements per value head: -1 = head_dim, 0 = none (latent attention)
};

// Bytes one token occupies in the KV cache: n_layer * n_head_kv * (head_dim + value head dim) *
// bytes_per_element. Llama 3 8B in F16: 2 * 32 * 8 * 128 * 2 = 131,072; DeepSeek-V3's latent
// rows: 61 * 1 * 576 * 2 = 70,272.
int64_t KvBytesPerToken(const KvModelShape& model);

struct SchedulerConfig {
  int32_t block_size = 16;    // tokens per KV block
  int32_t num_kv_blocks = 0;  // blocks in the pool
  // Longest sequence, prompt plus generated, in tokens. At most num_kv_blocks * block_size, so
  // a request alone always fits; a prompt must leave room for one generated token.
  int32_t max_context_tokens = 0;
  int32_t max_running_sequences = 256;  // requests holding KV blocks at once
  // Tokens computed per step over all sequences (decode tokens plus prefill chunks).
  // At least max_running_sequences, so every running stream decodes at every step.
  int32_t max_batch_tokens = 2048;
  // Most tokens of one prompt computed in one step (chunked prefill); <= max_batch_tokens.
  int32_t max_prefill_chunk_tokens = 2048;
  bool enable_prefix_caching = true;
  // A waiting request may preempt running requests of strictly lower priority to get in.
  bool enable_priority_preemption = true;
  // Blocks a waiting request must leave available when admitted while others run, so that
  // running streams can grow for a few steps before anyone is preempted.
  int32_t admission_reserve_blocks = 0;

  // TPOT-sized prefill (decode-first, as Sarathi-Serve): while sequences decode, each step's
  // prefill chunks are cut so that step_model predicts the step within the tightest TPOT SLO
  // among the decoding requests (a request's RequestSpec::tpot_slo_us, else this default);
  // prefill still gets min_prefill_tokens per step. A step that decodes nothing, or whose
  // decoding requests have no SLO, keeps the fixed max_batch_tokens budget.
  int64_t tpot_slo_us = 0;  // default TPOT SLO, µs; 0: none
  PerformanceModel step_model;
  int32_t min_prefill_tokens = 64;  // within the token budget; 0: prefill may wait out decodes

  // InvalidArgument naming the first inconsistent field.
  [[nodiscard]] Status Validate() const;
};

// Defaults for a model given `kv_memory_bytes` for its KV cache: num_kv_blocks =
// kv_memory_bytes / (block_size * KvBytesPerToken); max_context_tokens = the training context,
// cut to what the pool holds; max_running_sequences = min(256, num_kv_blocks); a token budget of
// max(2048, max_running_sequences), prefill chunks of the whole budget; 1 % of the blocks as
// admission reserve. InvalidArgument when the shape is incomplete or the memory holds no block.
[[nodiscard]] StatusOr<SchedulerConfig> DefaultSchedulerConfig(const KvModelShape& model,
                                                               int64_t kv_memory_bytes,
                                                               int32_t block_size = 16);

}  // namespace tokenfab::engine
