// Activation formats of the integer matrix-vector kernels: a float row is quantised once per op
// and then multiplied with every weight row.
//
//   Q8 block format (for Q8_0 / Q4_0 weights), one column of k values, nb = k / 32 blocks:
//     int8  qs[k]      q = round_half_even(x / d), d = max|x| / 127 per block of 32
//     float d[nb]      at Q8BlocksDOffset(k)
//     int32 sum[nb]    sum of the block's qs, at Q8BlocksSumOffset(k)
//   ActQ8K (for Q4_K / Q6_K weights): one struct per 256 values, same rounding.
//
// The SIMD levels may reorder qs inside a block pair for their kernels, but quantise identically,
// so every level computes with the same integers. Internal; header-only helpers have internal
// linkage (this header is included by translation units compiled with different ISA flags).
#pragma once

#include <cstdint>

namespace tokenfab::kernels::internal {

inline constexpr int kActBlock = 32;
inline constexpr int kActSuperBlock = 256;

static inline int64_t RoundUp64(int64_t bytes) { return (bytes + 63) & ~int64_t{63}; }

static inline int64_t Q8BlocksDOffset(int64_t k) { return RoundUp64(k); }
static inline int64_t Q8BlocksSumOffset(int64_t k) {
  return Q8BlocksDOffset(k) + RoundUp64(k / kActBlock * 4);
}
static inline int64_t Q8BlocksBytes(int64_t k) {
  return Q8BlocksSumOffset(k) + RoundUp64(k / kActBlock * 4);
}

struct alignas(64) ActQ8K {
  int8_t qs[kActSuperBlock];
  int16_t bsums[16];   // sum of each 16 qs
  int16_t bsums32[8];  // sum of each 32 qs
  float d;             // scale
};
static_assert(sizeof(ActQ8K) == 320);

static inline int64_t ActQ8KBytes(int64_t k) {
  return k / kActSuperBlock * static_cast<int64_t>(sizeof(ActQ8K));
}

}  // namespace tokenfab::kernels::internal
