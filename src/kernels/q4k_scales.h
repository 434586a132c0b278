// Unpacking of the 12-byte scale field of a Q4_K block (8 six-bit scales and 8 six-bit mins, see
// quant_blocks.h) in four 32-bit operations. Header-only with internal linkage, for the SIMD
// translation units.
#pragma once

#include <cstdint>
#include <cstring>

namespace tokenfab::kernels::internal {

// out[0..7] = scales of sub-blocks 0..7, out[8..15] = their mins.
static inline void UnpackQ4KScales(const uint8_t* packed, uint8_t out[16]) {
  uint32_t s[3];
  memcpy(s, packed, 12);
  const uint32_t words[4] = {
      s[0] & 0x3f3f3f3fu,                                         // scales 0..3
      (s[2] & 0x0f0f0f0fu) | ((s[0] >> 2) & 0x30303030u),         // scales 4..7: low 4 bits + top 2
      s[1] & 0x3f3f3f3fu,                                         // mins 0..3
      ((s[2] >> 4) & 0x0f0f0f0fu) | ((s[1] >> 2) & 0x30303030u),  // mins 4..7
  };
  memcpy(out, words, 16);
}

}  // namespace tokenfab::kernels::internal
