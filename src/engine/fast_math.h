// Vectorisable float kernels for the sampler's passes over the vocabulary (128k+ logits per
// token). Written so the compiler vectorises them without -ffast-math: no calls into libm, no
// float selects, and reductions in fixed lanes (a fixed summation order, so results are the same
// on every run and every platform with IEEE floats, unlike libm's expf, whose last bits vary
// between versions). On x86-64 each is also built for AVX2 and picked at load time; the
// arithmetic is the same (no FMA contraction in ISO C++ mode), so are the results.
//
// Pure functions; thread-safe.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

namespace tokenfab::engine {

// e^x for x <= 0, with a relative error under 2e-7 for x >= -86 and exactly 0 below about
// -87 (e^-87 is 2e-38: nothing a sampler can tell from 0), -inf included. Branch-free and
// integer-masked, so loops over it vectorise. REQUIRES: x <= 0 and not NaN (the sampler
// exponentiates logit - max).
inline float FastExp(float x) {
  // x = n ln2 + r with |r| <= ln2 / 2; n rounded to nearest with the 1.5 * 2^23 trick.
  const float shifted = x * 1.44269504088896341f + 12582912.0f;
  const float n = shifted - 12582912.0f;
  const int32_t ni = std::bit_cast<int32_t>(shifted) - 0x4B400000;
  float r = x - n * 0.693359375f;  // ln2 split in two for an exact product
  r = r + n * 2.12194440e-4f;
  // e^r by its Taylor series to r^7 (remainder under 6e-9 for |r| <= 0.347).
  float p = 1.0f / 5040;
  p = p * r + 1.0f / 720;
  p = p * r + 1.0f / 120;
  p = p * r + 1.0f / 24;
  p = p * r + 1.0f / 6;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // Scale by 2^n in the exponent bits; below 2^-125 the result would leave the normal range:
  // those (and the garbage lanes of -inf) are masked to +0.
  const uint32_t bits = std::bit_cast<uint32_t>(p) + (static_cast<uint32_t>(ni) << 23);
  const uint32_t keep = ni >= -125 ? 0xFFFFFFFFu : 0u;
  return std::bit_cast<float>(bits & keep);
}

// The largest of x[0..16), by a tree of pairwise maxima (vectorises inline).
inline float Max16(const float* x) {
  float m[8];
  for (int j = 0; j < 8; ++j) m[j] = x[j] > x[j + 8] ? x[j] : x[j + 8];
  for (int j = 0; j < 4; ++j) m[j] = m[j] > m[j + 4] ? m[j] : m[j + 4];
  for (int j = 0; j < 2; ++j) m[j] = m[j] > m[j + 2] ? m[j] : m[j + 2];
  return m[0] > m[1] ? m[0] : m[1];
}

// The largest of x[0..n) (-inf when n == 0); sets *bad when one is NaN or +inf.
float MaxAndCheck(const float* x, size_t n, bool* bad);

// sum_i FastExp((x[i] - shift) * scale), in double; also stores each term in weights[i] when
// weights is not null.
double SumExp(const float* x, size_t n, float shift, float scale, float* weights);

// sum_i x[i], in double.
double Sum(const float* x, size_t n);

}  // namespace tokenfab::engine
