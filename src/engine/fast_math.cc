#include "engine/fast_math.h"

#include <bit>
#include <limits>

namespace tokenfab::engine {
namespace {

// Independent partial results, combined in a fixed order at the end: breaks the dependency
// chain of a running sum (or max) so the loop runs at throughput, and lets the compiler keep the
// lanes in vector registers.
constexpr size_t kLanes = 8;

}  // namespace

// Builds an AVX2 clone next to the baseline one where the toolchain supports it.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TF_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TF_VECTOR_CLONES
#endif

TF_VECTOR_CLONES float MaxAndCheck(const float* x, size_t n, bool* bad) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // NaN is the only value whose magnitude bits exceed those of infinity.
  constexpr int32_t kInfBits = 0x7F800000;
  float lane_max[kLanes];
  int32_t lane_magnitude[kLanes] = {};
  for (size_t j = 0; j < kLanes; ++j) lane_max[j] = -kInf;
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) {
      const float v = x[i + j];
      const int32_t magnitude = std::bit_cast<int32_t>(v) & 0x7FFFFFFF;
      lane_max[j] = v > lane_max[j] ? v : lane_max[j];
      lane_magnitude[j] = magnitude > lane_magnitude[j] ? magnitude : lane_magnitude[j];
    }
  }
  float m = -kInf;
  int32_t magnitude = 0;
  for (size_t j = 0; j < kLanes; ++j) {
    m = lane_max[j] > m ? lane_max[j] : m;
    magnitude = lane_magnitude[j] > magnitude ? lane_magnitude[j] : magnitude;
  }
  for (; i < n; ++i) {
    m = x[i] > m ? x[i] : m;
    const int32_t mi = std::bit_cast<int32_t>(x[i]) & 0x7FFFFFFF;
    magnitude = mi > magnitude ? mi : magnitude;
  }
  if (magnitude > kInfBits || m == kInf) *bad = true;
  return m;
}

namespace {

template <bool kStore>
[[gnu::always_inline]] inline double SumExpLanes(const float* x, size_t n, float shift, float scale,
                                                 float* weights) {
  double lane_sum[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    float w[kLanes];
    for (size_t j = 0; j < kLanes; ++j) w[j] = FastExp((x[i + j] - shift) * scale);
    if constexpr (kStore) {
      for (size_t j = 0; j < kLanes; ++j) weights[i + j] = w[j];
    }
    for (size_t j = 0; j < kLanes; ++j) lane_sum[j] += w[j];
  }
  double total = 0;
  for (size_t j = 0; j < kLanes; ++j) total += lane_sum[j];
  for (; i < n; ++i) {
    const float w = FastExp((x[i] - shift) * scale);
    if constexpr (kStore) weights[i] = w;
    total += w;
  }
  return total;
}

TF_VECTOR_CLONES double SumExpOnly(const float* x, size_t n, float shift, float scale) {
  return SumExpLanes<false>(x, n, shift, scale, nullptr);
}

TF_VECTOR_CLONES double SumExpStoring(const float* x, size_t n, float shift, float scale,
                                      float* weights) {
  return SumExpLanes<true>(x, n, shift, scale, weights);
}

}  // namespace

double SumExp(const float* x, size_t n, float shift, float scale, float* weights) {
  return weights == nullptr ? SumExpOnly(x, n, shift, scale)
                            : SumExpStoring(x, n, shift, scale, weights);
}

TF_VECTOR_CLONES double Sum(const float* x, size_t n) {
  double lane_sum[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t j = 0; j < kLanes; ++j) lane_sum[j] += x[i + j];
  }
  double total = 0;
  for (size_t j = 0; j < kLanes; ++j) total += lane_sum[j];
  for (; i < n; ++i) total += x[i];
  return total;
}

}  // namespace tokenfab::engine
