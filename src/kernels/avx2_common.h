// Helpers shared by the AVX2 translation units (compiled with -mavx2 -mfma -mf16c only). Every
// function has internal linkage and none is a std:: template or library inline function, so no
// AVX2 copy of a shared symbol can be kept by the linker for baseline code.
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels/q4k_scales.h"

namespace tokenfab::kernels::internal::avx2 {

static inline int64_t MinI(int64_t a, int64_t b) { return a < b ? a : b; }
static inline void ZeroFloats(float* p, int64_t n) {
  if (n > 0) memset(p, 0, static_cast<size_t>(n) * sizeof(float));
}
static inline float ExpScalar(float x) { return __builtin_expf(x); }
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
  memcpy(&v, p, 2);
  return v;
}
static inline float HalfToFloat1(uint16_t h) { return _cvtsh_ss(h); }

static inline float HSum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline int HSumI(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4e));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xb1));
  return _mm_cvtsi128_si32(s);
}
static inline float HMax(__m256 v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Lane mask for _mm256_maskload_ps / maskstore_ps: the first n (clamped to 0..8) lanes.
static inline __m256i FirstLanes8(int64_t n) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < 0 ? 0 : n > 8 ? 8 : n)), index);
}

// The 8 six-bit scales (bytes 0..7) and mins (bytes 8..15) of a Q4_K block's packed scales.
static inline __m128i Q4KScalesMins(const uint8_t* packed) {
  uint8_t bytes[16];
  UnpackQ4KScales(packed, bytes);
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes));
}

}  // namespace tokenfab::kernels::internal::avx2
