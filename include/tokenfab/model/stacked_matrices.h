// StackedMatrices: `count` weight matrices of one shape and type laid out at a fixed byte stride
// (the experts of a 3-D GGUF tensor such as ffn_up_exps, or the heads of attn_k_b). Not owned:
// points into the mapped file (or a buffer owned by ModelWeights). A plain value.
#pragma once

#include <cstdint>

#include "tokenfab/kernels/cpu_kernels.h"

namespace tokenfab::model {

struct StackedMatrices {
  kernels::WeightMatrix first;  // matrix 0
  int64_t stride = 0;           // bytes from one matrix to the next
  int64_t count = 0;

  // REQUIRES: 0 <= i < count.
  kernels::WeightMatrix At(int64_t i) const {
    kernels::WeightMatrix m = first;
    m.data = static_cast<const uint8_t*>(first.data) + i * stride;
    return m;
  }
  // Bytes of one matrix.
  int64_t MatrixBytes() const { return first.rows * first.row_bytes; }
};

}  // namespace tokenfab::model
