#include <bit>
#include <cmath>
#include <limits>

#include <cpuid.h>
#include <gtest/gtest.h>
#include <immintrin.h>

#include "tokenfab/kernels/quant_blocks.h"

namespace tokenfab::kernels {
namespace {

// F16C from CPUID (clang 14 does not know "f16c" for __builtin_cpu_supports).
bool CpuHasF16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1u << 29)) != 0;
}

// The hardware conversion (F16C, round to nearest even) is the reference.
__attribute__((target("f16c"))) uint16_t HardwareFloatToHalf(float f) {
  return static_cast<uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}
__attribute__((target("f16c"))) float HardwareHalfToFloat(uint16_t h) { return _cvtsh_ss(h); }

TEST(HalfTest, EveryHalfRoundTripsAndMatchesHardware) {
  if (!CpuHasF16c()) GTEST_SKIP() << "no F16C on this CPU";
  for (uint32_t h = 0; h <= 0xffff; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    const float expected = HardwareHalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(f)) << h;
      continue;
    }
    ASSERT_EQ(std::bit_cast<uint32_t>(f), std::bit_cast<uint32_t>(expected)) << h;
    ASSERT_EQ(FloatToHalf(f), h) << h;
  }
}

TEST(HalfTest, FloatToHalfRoundsLikeHardware) {
  if (!CpuHasF16c()) GTEST_SKIP() << "no F16C on this CPU";
  // Walk float bit patterns with a stride that visits every exponent and many mantissas.
  for (uint64_t bits = 0; bits <= 0xffffffffull; bits += 4099) {
    const float f = std::bit_cast<float>(static_cast<uint32_t>(bits));
    const uint16_t expected = HardwareFloatToHalf(f);
    const uint16_t got = FloatToHalf(f);
    if (std::isnan(f)) {
      ASSERT_EQ(got & 0x7c00, 0x7c00) << bits;
      ASSERT_NE(got & 0x3ff, 0) << bits;
      continue;
    }
    ASSERT_EQ(got, expected) << "bits=" << bits << " f=" << f;
  }
}

TEST(Bf16Test, RoundsToNearestEvenAndKeepsNaN) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3f80);
  // 1 + 2^-8 is exactly halfway between two bf16 values: ties go to the even one (1.0).
  EXPECT_EQ(FloatToBf16(1.0f + 0x1.0p-8f), 0x3f80);
  EXPECT_EQ(FloatToBf16(1.0f + 0x1.8p-8f), 0x3f81);
  EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(Bf16ToFloat(FloatToBf16(-2.5f)), -2.5f);
}

}  // namespace
}  // namespace tokenfab::kernels
