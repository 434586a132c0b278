// GgmlType: the tensor element types of the GGUF format, numbered as the file stores them, with
// their block geometry (elements per block, bytes per block). The block layouts themselves are in
// quant_blocks.h. Pure data: no state, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace tokenfab::kernels {

enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
  kMXFP4 = 39,
  kNVFP4 = 40,
  kQ1_0 = 41,
  kQ2_0 = 42,
};

struct GgmlTypeInfo {
  std::string_view name;    // as llama.cpp prints it: "f32", "q8_0", "q4_K", ...
  int64_t block_elements;   // elements per block (1 for plain types)
  int64_t block_bytes;      // bytes per block
};

// Geometry of a type stored in a file; nullopt for a number no known type has (the GGUF reader
// turns that into an error naming the tensor).
std::optional<GgmlTypeInfo> GetGgmlTypeInfo(uint32_t type);
// Same, for a known enumerator (never nullopt).
const GgmlTypeInfo& GetGgmlTypeInfo(GgmlType type);


// Bytes of a row of `elements` values. REQUIRES: elements % block_elements == 0.
int64_t GgmlRowBytes(GgmlType type, int64_t elements);

}  // namespace tokenfab::kernels
