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
  return KvBytesPerToken(model);
}

KvCacheStorage::KvCacheStorage(const KvCacheShape& shape)
    : shape_(shape), element_bytes_(ElementBytes(shape.type)) {
  TF_CHECK(shape.n_layer > 0 && shape.n_head_kv > 0 && shape.head_dim > 0 &&
           shape.block_tokens > 0 && shape.n_blocks > 0);
  layer_bytes_ = shape.n_blocks * shape.block_tokens * shape.n_head_kv * shape.head_dim *
                 element_bytes_;
  memory_bytes_ = static_cast<size_t>(2 * shape.n_layer * layer_bytes_);
  // Anonymous pages: zero-filled lazily, so a large cache costs memory only as it is used.
  void* memory = mmap(nullptr, memory_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                      -1, 0);
  TF_CHECK(memory != MAP_FAILED) << "cannot map " << memory_bytes_ << " bytes for the KV cache";
  madvise(memory, memory_bytes_, MADV_HUGEPAGE);
  memory_ = static_cast<uint8_t*>(memory);
}

KvCacheStorage::~KvCacheStorage() { munmap(memory_, memory_bytes_); }

kernels::KvCacheView KvCacheStorage::View(int64_t layer, bool values) const {
  TF_CHECK(layer >= 0 && layer < shape_.n_layer) << "layer " << layer;
  const int64_t row_bytes = shape_.n_head_kv * shape_.head_dim * element_bytes_;
  kernels::KvCacheView view;
  view.type = shape_.type;
  view.base = memory_ + (2 * layer + (values ? 1 : 0)) * layer_bytes_;
  view.block_tokens = shape_.block_tokens;
  view.block_stride = shape_.block_tokens * row_bytes;
  view.token_stride = row_bytes;
  view.head_stride = shape_.head_dim * element_bytes_;
  return view;
}

}  // namespace tokenfab::engine
