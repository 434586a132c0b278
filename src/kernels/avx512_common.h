// Helpers shared by the AVX-512 translation units (compiled with the AVX-512 flags only). Every
// function has internal linkage, so no AVX-512 code can be picked by the linker for baseline code.
#pragma once

// GCC 12's AVX-512 headers read deliberately undefined vectors (_mm512_undefined_*), which its
// uninitialized-use warnings flag inside the headers once inlined.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#ifndef __clang__
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <cstdint>
#include <cstring>

#include "kernels/q4k_scales.h"

namespace tokenfab::kernels::internal::avx512 {

// Small helpers instead of std:: templates and inline functions: an instantiation emitted here
// would carry AVX-512 instructions and could be the copy the linker keeps for baseline code.
static inline int64_t MinI(int64_t a, int64_t b) { return a < b ? a : b; }
static inline void ZeroFloats(float* p, int64_t n) {
  if (n > 0) std::memset(p, 0, static_cast<size_t>(n) * sizeof(float));
}
static inline float ExpScalar(float x) { return __builtin_expf(x); }
static inline float SqrtScalar(float x) { return __builtin_sqrtf(x); }
static inline float Infinity() { return __builtin_inff(); }

// Software prefetch of the streaming (decode) kernels: the weight bytes `lines` cache lines from
// p + kPrefetchBytes on, non-temporal so the streamed weights do not evict the activations from
// L1. The hardware prefetchers alone leave a single core at about 75 % of its read bandwidth on
// these kernels; 8 KB ahead measured best on Zen 5 (1-6 KB and 12-24 KB were 5-15 % slower), and
// NTA another 5-10 % faster than T0. Prefetches never fault, so reading past the matrix is harmless.
inline constexpr int64_t kPrefetchBytes = 8192;
static inline void PrefetchAhead(const void* p, int lines) {
  const char* c = static_cast<const char*>(p) + kPrefetchBytes;
  for (int i = 0; i < lines; ++i) _mm_prefetch(c + 64 * i, _MM_HINT_NTA);
}

static inline uint16_t LoadU16(const void* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

static inline float HalfToFloat1(uint16_t h) { return _cvtsh_ss(h); }

// Mask of the first n lanes (none for n <= 0, all for n >= the lane count).
static inline __mmask16 FirstLanes16(int64_t n) {
  if (n <= 0) return 0;
  return n >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << n) - 1);
}
static inline __mmask32 FirstLanes32(int64_t n) {
  if (n <= 0) return 0;
  return n >= 32 ? static_cast<__mmask32>(0xffffffffu) : static_cast<__mmask32>((1u << n) - 1);
}

// The 8 six-bit scales (bytes 0..7) and mins (bytes 8..15) of a Q4_K block's packed scales.
static inline __m128i Q4KScalesMins(const uint8_t* packed) {
  uint8_t bytes[16];
  UnpackQ4KScales(packed, bytes);
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
}

// 16 floats from 16 IEEE halves.
static inline __m512 LoadHalves(const void* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(static_cast<const __m256i*>(p)));
}

}  // namespace tokenfab::kernels::internal::avx512
