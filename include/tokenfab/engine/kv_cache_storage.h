// KvCacheStorage: the memory of the paged KV cache. For every layer, keys and values live in
// `n_blocks` fixed-size blocks of `block_tokens` token rows each (a key row is n_head_kv *
// head_dim elements, a value row n_head_kv * value_head_dim(), F16 or F32; latent attention
// caches key rows only, whose first elements are the values); a sequence owns a list of block
// indices (its block table, kept by the KV block manager), so no request needs a contiguous buffer
// and memory never fragments.
//
// Ownership: owns the memory. The views it hands out point into it and stay valid while it lives.
// Thread-safety: the object is immutable; the memory is written by the model runner only, for
// the blocks the scheduler gave to the sequences of the batch it runs.
#pragma once

#include <cstdint>
#include <memory>

#include "tokenfab/kernels/cpu_kernels.h"
#include "tokenfab/kernels/ggml_type.h"
#include "tokenfab/model/model_config.h"

namespace tokenfab::engine {

struct KvCacheShape {
  int64_t n_layer = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
  int64_t block_tokens = 16;  // tokens per block
  int64_t n_blocks = 0;
  kernels::GgmlType type = kernels::GgmlType::kF16;  // kF16 or kF32
  // Elements of one value head: -1 means head_dim; 0 means no value rows (latent attention:
  // Values() views the key rows, see ModelConfig::kv_value_head_dim).
  int64_t value_dim = -1;

  int64_t value_head_dim() const { return value_dim < 0 ? head_dim : value_dim; }
  // Bytes of K and V of one token over all layers: KvBytesPerToken of this shape.
  int64_t BytesPerToken() const;
  // The cache shape of `config` (head geometry and value rows from the model).
  static KvCacheShape ForModel(const model::ModelConfig& config, int64_t block_tokens,
                               int64_t n_blocks, kernels::GgmlType type);
};

class KvCacheStorage {
 public:
  // REQUIRES: every size positive; type F16 or F32.
  explicit KvCacheStorage(const KvCacheShape& shape);
  ~KvCacheStorage();
  KvCacheStorage(const KvCacheStorage&) = delete;
  KvCacheStorage& operator=(const KvCacheStorage&) = delete;

  const KvCacheShape& shape() const { return shape_; }
  kernels::KvCacheView Keys(int64_t layer) const { return View(layer, /*values=*/false); }
  kernels::KvCacheView Values(int64_t layer) const { return View(layer, /*values=*/true); }

 private:
  kernels::KvCacheView View(int64_t layer, bool values) const;

  KvCacheShape shape_;
  int64_t element_bytes_;
  int64_t key_bytes_;    // one layer's keys: n_blocks * block_tokens * key row bytes
  int64_t value_bytes_;  // one layer's values (0: values view the keys)
  uint8_t* memory_;      // [n_layer][K, V][n_blocks][block_tokens][n_head_kv][head dim]
  size_t memory_bytes_;
};

}  // namespace tokenfab::engine
