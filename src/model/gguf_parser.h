// ParseGguf: validates the bytes of a GGUF file and records where every metadata value and tensor
// lies in them (GgufLayout). Everything GgufFile's accessors later read has been checked here, so
// they decode without further bounds checks. The checks are listed in gguf_file.h.
//
// Stateless and thread-safe. The layout's views point into the parsed bytes.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/base/status.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_value.h"

namespace tokenfab::model {

// One metadata key and its value, as views into the file's bytes.
struct GgufMetadataEntry {
  std::string_view key;
  GgufValueType type;
  // Arrays only: the element type and count (kUint8 and 0 otherwise).
  GgufValueType element_type = GgufValueType::kUint8;
  uint64_t count = 0;
  // The bytes after the type tag: a scalar's bytes; a string's u64 length and bytes; an array's
  // element type, count and elements. Validated: every nested length lies inside it.
  std::span<const uint8_t> encoded;
};

struct GgufLayout {
  uint32_t version = 0;
  uint64_t alignment = kDefaultGgufAlignment;
  uint64_t data_offset = 0;                                    // bytes from the start of the file
  std::vector<GgufMetadataEntry> metadata;                     // file order
  absl::flat_hash_map<std::string_view, size_t> key_index;     // key -> metadata index
  std::vector<GgufTensorInfo> tensors;                         // file order
  absl::flat_hash_map<std::string_view, size_t> tensor_index;  // name -> tensors index
};

// REQUIRES: nothing of `bytes`; the returned views point into it.
[[nodiscard]] StatusOr<GgufLayout> ParseGguf(std::span<const uint8_t> bytes);

}  // namespace tokenfab::model
