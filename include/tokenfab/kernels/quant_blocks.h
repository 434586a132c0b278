// The byte layouts of the quantised block types tokenfab computes with, exactly as GGUF files store
// them (little-endian, no padding), and the half-precision conversions they use.
//
//   Q8_0: 32 weights = d * q,               q int8             (34 bytes, 8.5 bits/weight)
//   Q4_0: 32 weights = d * (q - 8),          q 4-bit            (18 bytes, 4.5 bits/weight)
//   Q4_K: 256 weights in 8 sub-blocks of 32 = d*sc*q - dmin*m, sc/m 6-bit, q 4-bit (144 bytes)
//   Q6_K: 256 weights in 16 sub-blocks of 16 = d*sc*(q - 32), sc int8, q 6-bit     (210 bytes)
//   Q8_K: 256 activations = d * q, with sums of 16 q's (an operand of K-quant dot products only)
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace tokenfab::kernels {

inline constexpr int kQK8_0 = 32;
inline constexpr int kQK4_0 = 32;
inline constexpr int kQK_K = 256;
inline constexpr int kKScaleSize = 12;

struct BlockQ8_0 {
  uint16_t d;          // scale, IEEE half
  int8_t qs[kQK8_0];
};
static_assert(sizeof(BlockQ8_0) == 34);

struct BlockQ4_0 {
  uint16_t d;               // scale, IEEE half
  uint8_t qs[kQK4_0 / 2];   // element j in the low nibble of qs[j], element j+16 in the high one
};
static_assert(sizeof(BlockQ4_0) == 18);

struct BlockQ4_K {
  uint16_t d;                    // super-block scale of the 6-bit scales, IEEE half
  uint16_t dmin;                 // super-block scale of the 6-bit mins, IEEE half
  uint8_t scales[kKScaleSize];   // 8 scales and 8 mins, 6 bits each, packed
  uint8_t qs[kQK_K / 2];         // 4-bit quants, 64 elements per 32 bytes (low nibbles first)
};
static_assert(sizeof(BlockQ4_K) == 144);

struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];     // low 4 bits of the quants
  uint8_t qh[kQK_K / 4];     // high 2 bits of the quants
  int8_t scales[kQK_K / 16]; // one scale per 16 elements
  uint16_t d;                // super-block scale, IEEE half
};
static_assert(sizeof(BlockQ6_K) == 210);

struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];  // sum of each group of 16 quants
};
static_assert(sizeof(BlockQ8_K) == 292);

// IEEE 754 half <-> float, round-to-nearest-even, with subnormals, infinities and NaN.
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);

// bfloat16 <-> float. FloatToBf16 rounds to nearest even and keeps NaN a NaN.
inline float Bf16ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }
uint16_t FloatToBf16(float f);

}  // namespace tokenfab::kernels
