// Reference quantisers and dequantisers of Q4_K and Q6_K rows (see quantize_k.cc). Internal to the
// kernels layer: callers use QuantizeRow / DequantizeRow. Stateless and thread-safe.
#pragma once

#include <cstdint>

#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels::internal {

// REQUIRES for all: n a multiple of 256.
void QuantizeQ4_K(const float* x, BlockQ4_K* y, int64_t n);
void DequantizeQ4_K(const BlockQ4_K* x, float* y, int64_t n);
void QuantizeQ6_K(const float* x, BlockQ6_K* y, int64_t n);
void DequantizeQ6_K(const BlockQ6_K* x, float* y, int64_t n);

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K block's packed `scales`.
void Q4KScaleMin(const uint8_t* scales, int j, int* sc, int* m);

}  // namespace tokenfab::kernels::internal
