#include "tokenfab/kernels/cpu_features.h"

#include <cpuid.h>

#include <cstdlib>
#include <string>

#include "tokenfab/base/logging.h"

namespace tokenfab::kernels {

std::string_view IsaLevelName(IsaLevel level) {
  switch (level) {
    case IsaLevel::kScalar:
      return "scalar";
    case IsaLevel::kAvx2:
      return "avx2";
    case IsaLevel::kAvx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<IsaLevel> ParseIsaLevel(std::string_view name) {
  for (IsaLevel level : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (IsaLevelName(level) == name) return level;
  }
  return std::nullopt;
}

namespace {

// F16C, VNNI, VBMI and BF16 straight from CPUID: not every compiler knows their names for
// __builtin_cpu_supports (clang 14 does not). The OS-state checks (XCR0) come with avx2/avx512f.
bool HasF16c() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & (1u << 29)) != 0;
}

bool HasAvx512Extensions() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  const unsigned max_subleaf = eax;
  const bool vbmi = (ecx & (1u << 1)) != 0;
  const bool vnni = (ecx & (1u << 11)) != 0;
  if (max_subleaf < 1 || __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool bf16 = (eax & (1u << 5)) != 0;
  return vbmi && vnni && bf16;
}

}  // namespace

bool IsaLevelSupported(IsaLevel level) {
  // __builtin_cpu_supports checks CPUID and, for AVX/AVX-512, that the OS enabled the state (XCR0).
  __builtin_cpu_init();
  switch (level) {
    case IsaLevel::kScalar:
      return true;
    case IsaLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && HasF16c();
    case IsaLevel::kAvx512:
      return IsaLevelSupported(IsaLevel::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && HasAvx512Extensions();
  }
  return false;
}

IsaLevel DetectIsaLevel() {
  if (IsaLevelSupported(IsaLevel::kAvx512)) return IsaLevel::kAvx512;
  if (IsaLevelSupported(IsaLevel::kAvx2)) return IsaLevel::kAvx2;
  return IsaLevel::kScalar;
}

std::vector<IsaLevel> SupportedIsaLevels() {
  std::vector<IsaLevel> levels;
  for (IsaLevel level : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    if (IsaLevelSupported(level)) levels.push_back(level);
  }
  return levels;
}

IsaLevel ClampIsaLevel(IsaLevel requested) {
  for (int l = static_cast<int>(requested); l > 0; --l) {
    if (IsaLevelSupported(static_cast<IsaLevel>(l))) return static_cast<IsaLevel>(l);
  }
  return IsaLevel::kScalar;
}

namespace {

IsaLevel SelectDefaultLevel() {
  const char* env = std::getenv("TOKENFAB_KERNELS");
  if (env == nullptr || *env == '\0') return DetectIsaLevel();
  const std::optional<IsaLevel> requested = ParseIsaLevel(env);
  if (!requested) {
    TF_LOG_WARN("TOKENFAB_KERNELS={} is not one of scalar, avx2, avx512; using {}", env,
                IsaLevelName(DetectIsaLevel()));
    return DetectIsaLevel();
  }
  const IsaLevel level = ClampIsaLevel(*requested);
  if (level != *requested) {
    TF_LOG_WARN("TOKENFAB_KERNELS={}: this CPU lacks the instructions; using {}", env,
                IsaLevelName(level));
  }
  return level;
}

}  // namespace

IsaLevel DefaultIsaLevel() {
  static const IsaLevel level = SelectDefaultLevel();
  return level;
}

}  // namespace tokenfab::kernels
