// Scalar IEEE half and bfloat16 conversions (the SIMD kernels use F16C / AVX-512 instructions).
#include <bit>
#include <cmath>
#include <cstdint>

#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels {

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  if (exponent == 0x1f) {  // infinity or NaN: keep the payload
    return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
  }
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float magnitude = static_cast<float>(mantissa) * 0x1.0p-24f;
    return sign ? -magnitude : magnitude;
  }
  return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t FloatToHalf(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return sign | 0x7e00;  // NaN (quiet)
  if (abs_bits >= 0x477ff000u) return sign | 0x7c00; // rounds to infinity (>= 65520)
  if (abs_bits < 0x38800000u) {
    // Below the smallest normal half (2^-14): a subnormal, rounded to a multiple of 2^-24.
    const float magnitude = std::bit_cast<float>(abs_bits);
    // nearbyint rounds half to even in the default rounding mode.
    return sign | static_cast<uint16_t>(std::nearbyint(magnitude * 0x1.0p24f));
  }
  // Normal: rebias the exponent and round the 13 dropped mantissa bits to nearest even.
  const uint32_t rebased = abs_bits - (112u << 23);
  const uint32_t round_bit = 1u << 12;
  const uint32_t sticky = rebased & (round_bit - 1);
  uint32_t half = rebased >> 13;
  if ((rebased & round_bit) && (sticky || (half & 1))) ++half;  // may carry into the exponent
  return sign | static_cast<uint16_t>(half);
}

uint16_t FloatToBf16(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);
  const uint32_t rounding = 0x7fff + ((bits >> 16) & 1);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

}  // namespace tokenfab::kernels
