// IsaLevel: the instruction-set levels the kernels are compiled for, and the choice of one at run
// time. The binary is baseline x86-64; the AVX2 and AVX-512 kernels live in their own translation
// units built with per-file flags and are only called when the CPU has the instructions.
//
//   kScalar  portable C++ (any x86-64, the reference the SIMD levels are tested against)
//   kAvx2    AVX2 + FMA + F16C (Haswell, Zen 1 and later)
//   kAvx512  AVX-512 F/BW/VL/DQ + VNNI + VBMI + BF16 + FMA + F16C (Zen 4, Sapphire Rapids and
//            later; older AVX-512 CPUs without these run the AVX2 level)
//
// Stateless apart from a process-wide cache of the selected level; thread-safe.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace tokenfab::kernels {

enum class IsaLevel { kScalar = 0, kAvx2 = 1, kAvx512 = 2 };

// "scalar", "avx2", "avx512".
std::string_view IsaLevelName(IsaLevel level);
std::optional<IsaLevel> ParseIsaLevel(std::string_view name);

// The best level this CPU (and its operating system, which must save the AVX-512 state) supports.
IsaLevel DetectIsaLevel();

// True when the CPU can run kernels of `level`.
bool IsaLevelSupported(IsaLevel level);

// Every level this CPU can run, lowest first (always starts with kScalar).
std::vector<IsaLevel> SupportedIsaLevels();

// The level kernels use by default: the environment variable TOKENFAB_KERNELS
// (scalar|avx2|avx512) when it names a level the CPU supports, otherwise DetectIsaLevel(). An
// unknown or unsupported value logs a warning once. Computed on first use, then fixed.
IsaLevel DefaultIsaLevel();

// The level `requested` resolves to on this CPU: itself when supported, else the best supported
// level below it. Pure, for tests.
IsaLevel ClampIsaLevel(IsaLevel requested);

}  // namespace tokenfab::kernels
