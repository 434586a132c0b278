#include "tokenfab/engine/kv_cache_storage.h"

#include <sys/mman.h>

#include "tokenfab/base/check.h"
#include "tokenfab/engine/scheduler_config.h"

namespace tokenfab::engine {
namespace {

int64_t ElementBytes(kernels::GgmlType type) {
  TF_CHECK(type == kernels::GgmlType::kF16 || type == kernels::GgmlType::kF32)
      << "KV cache type must be f16 or f32";
  return type == kernels::GgmlType::kF16 ? 2 : 4;
}

}  // namespace

int64_t KvCacheShape::BytesPerToken() const {
  KvModelShape model;
  model.n_layer = static_cast<int32_t>(n_layer);
  model.n_head_kv = static_cast<int32_t>(n_head_kv);
  model.head_dim = static_cast<int32_t>(head_dim);
  model.bytes_per_element = static_cast<int32_t>(ElementBytes(type));
  model.value_dim = static_cast<int32_t>(value_dim);
  return KvBytesPerToken(model);
}

KvCacheShape KvCacheShape::ForModel(const model::ModelConfig& config, int64_t block_tokens,
                                    int64_t n_blocks, kernels::GgmlType type) {
  KvCacheShape shape;
  shape.n_layer = config.n_layer;
  shape.n_head_kv = config.n_head_kv;
  shape.head_dim = config.head_dim;
  shape.value_dim = config.kv_value_head_dim();
  shape.block_tokens = block_tokens;
  shape.n_blocks = n_blocks;
  shape.type = type;
  return shape;
}

KvCacheStorage::KvCacheStorage(const KvCacheShape& shape)
    : shape_(shape), element_bytes_(ElementBytes(shape.type)) {
  TF_CHECK(shape.n_layer > 0 && shape.n_head_kv > 0 && shape.head_dim > 0 &&
           shape.block_tokens > 0 && shape.n_blocks > 0);
  const int64_t rows = shape.n_blocks * shape.block_tokens * shape.n_head_kv;
  key_bytes_ = rows * shape.head_dim * element_bytes_;
  value_bytes_ = rows * shape.value_head_dim() * element_bytes_;
  memory_bytes_ = static_cast<size_t>(shape.n_layer * (key_bytes_ + value_bytes_));
  // Anonymous pages: zero-filled lazily, so a large cache costs memory only as it is used.
  void* memory =
      mmap(nullptr, memory_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  TF_CHECK(memory != MAP_FAILED) << "cannot map " << memory_bytes_ << " bytes for the KV cache";
  madvise(memory, memory_bytes_, MADV_HUGEPAGE);
  memory_ = static_cast<uint8_t*>(memory);
}

KvCacheStorage::~KvCacheStorage() { munmap(memory_, memory_bytes_); }

kernels::KvCacheView KvCacheStorage::View(int64_t layer, bool values) const {
  TF_CHECK(layer >= 0 && layer < shape_.n_layer) << "layer " << layer;
  if (value_bytes_ == 0) values = false;  // latent rows: the values are in the key rows
  const int64_t dim = values ? shape_.value_head_dim() : shape_.head_dim;
  const int64_t row_bytes = shape_.n_head_kv * dim * element_bytes_;
  kernels::KvCacheView view;
  view.type = shape_.type;
  view.base = memory_ + layer * (key_bytes_ + value_bytes_) + (values ? key_bytes_ : 0);
  view.block_tokens = shape_.block_tokens;
  view.block_stride = shape_.block_tokens * row_bytes;
  view.token_stride = row_bytes;
  view.head_stride = dim * element_bytes_;
  return view;
}

}  // namespace tokenfab::engine
