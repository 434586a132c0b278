#include "tokenfab/kernels/cpu_features.h"

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

bool IsaLevelSupported(IsaLevel level) {
  // __builtin_cpu_supports checks CPUID and, for AVX/AVX-512, that the OS enabled the state (XCR0).
  __builtin_cpu_init();
  switch (level) {
    case IsaLevel::kScalar:
      return true;
    case IsaLevel::kAvx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("f16c");
    case IsaLevel::kAvx512:
      return IsaLevelSupported(IsaLevel::kAvx2) && __builtin_cpu_supports("avx512f") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vnni") &&
             __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bf16");
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
