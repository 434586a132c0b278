// Reference (scalar) conversion of float rows to and from every weight type tokenfab writes and
// reads. `tokenfab model create` quantises with these; kernel tests use them as ground truth.
// Stateless and thread-safe.
#pragma once

#include <cstdint>

#include "tokenfab/kernels/ggml_type.h"

namespace tokenfab::kernels {

// Types QuantizeRow accepts: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K.
bool CanQuantize(GgmlType type);
// Types DequantizeRow accepts: the same.
bool CanDequantize(GgmlType type);

// Writes `n` values from `src` as `type` into `dst` (GgmlRowBytes(type, n) bytes).
// REQUIRES: CanQuantize(type); n a multiple of the type's block size.
void QuantizeRow(GgmlType type, const float* src, void* dst, int64_t n);

// Reads `n` values of `type` from `src` into `dst`.
// REQUIRES: CanDequantize(type); n a multiple of the type's block size.
void DequantizeRow(GgmlType type, const void* src, float* dst, int64_t n);

}  // namespace tokenfab::kernels
