// GgufFile: a read-only view of a GGUF file (versions 2 and 3), memory-mapped.
//
// Open() checks every count, length, offset and size against the file before using it, so a
// truncated or crafted file is an error value with a clear message ("tensor blk.3.attn_q.weight:
// q4_K data runs past the end of the file"), never a crash or an out-of-bounds read. What it
// checks: the magic and version (2 or 3); every count against the bytes left (so a crafted count
// never makes a huge allocation); string and array lengths; array nesting (at most
// kMaxGgufArrayNesting deep); bool values 0 or 1; non-empty, unique keys; `general.alignment` a
// uint32 non-zero power of two; unique, non-empty tensor names; 1 to 4 dimensions, each >= 1, with
// an element count and a byte size that fit int64; a known tensor type whose block size divides
// ne[0]; aligned tensor offsets whose data lies inside the file.
//
// Ownership: the GgufFile owns the mapping; string_views, spans and tensor data pointers it hands
// out stay valid while it lives (and while the buffer lives, for Parse()). Movable, not copyable.
// Thread-safe for concurrent reads. A file changed by another process while mapped is outside
// what any reader can guard against.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/ggml_type.h"
#include "tokenfab/model/gguf_value.h"

namespace tokenfab::model {

// Arrays of arrays are allowed this many levels deep (an array of arrays of scalars is 2).
inline constexpr int kMaxGgufArrayNesting = 4;
// The data alignment when the file has no general.alignment key.
inline constexpr uint32_t kDefaultGgufAlignment = 32;

// One tensor's description and where its data lies in the mapping.
struct GgufTensorInfo {
  std::string name;
  kernels::GgmlType type;
  std::vector<int64_t> dims;  // ne[0] first: dims[0] is the contiguous (row) dimension
  uint64_t offset;            // from the start of the data section, bytes
  const uint8_t* data;        // into the mapping
  uint64_t size_bytes;

  int64_t num_elements() const;
};

// An array value's element type and length.
struct GgufArrayInfo {
  GgufValueType element_type;
  uint64_t count;
};

class GgufFile {
 public:
  // Maps and validates `path`. Errors name the file.
  [[nodiscard]] static StatusOr<GgufFile> Open(const std::string& path);
  // Validates a buffer already in memory (the fuzzer's entry point). The buffer must outlive
  // the returned object.
  [[nodiscard]] static StatusOr<GgufFile> Parse(std::span<const uint8_t> bytes);

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  uint32_t version() const;
  uint64_t alignment() const;
  uint64_t file_size() const;
  // Where the data section starts, bytes from the start of the file.
  uint64_t data_offset() const;

  // Metadata. Each typed getter fails with "key <k> missing" (NotFound) or "key <k> is <type>,
  // expected <type>" (InvalidArgument). Integer getters accept any integer type whose value
  // fits.
  bool HasKey(std::string_view key) const;
  [[nodiscard]] StatusOr<GgufValueType> KeyType(std::string_view key) const;
  [[nodiscard]] StatusOr<uint64_t> GetUint(std::string_view key) const;
  [[nodiscard]] StatusOr<int64_t> GetInt(std::string_view key) const;
  [[nodiscard]] StatusOr<double> GetFloat(std::string_view key) const;  // float32 or float64
  [[nodiscard]] StatusOr<bool> GetBool(std::string_view key) const;
  [[nodiscard]] StatusOr<std::string_view> GetString(std::string_view key) const;
  // Element type and length of an array value.
  [[nodiscard]] StatusOr<GgufArrayInfo> GetArrayInfo(std::string_view key) const;
  [[nodiscard]] StatusOr<std::vector<std::string_view>> GetStringArray(std::string_view key) const;
  // float32 or float64 elements.
  [[nodiscard]] StatusOr<std::vector<float>> GetFloatArray(std::string_view key) const;
  // Elements of any integer type whose values fit int64.
  [[nodiscard]] StatusOr<std::vector<int64_t>> GetIntArray(std::string_view key) const;
  // Any value, as the writer takes it (to copy metadata into another file).
  [[nodiscard]] StatusOr<GgufValue> GetValue(std::string_view key) const;
  // Every key in file order.
  std::vector<std::string_view> Keys() const;

  // Tensors, in file order.
  const std::vector<GgufTensorInfo>& tensors() const;
  // nullptr when absent.
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  // Fails with "tensor <name> missing" (NotFound).
  [[nodiscard]] StatusOr<const GgufTensorInfo*> GetTensor(std::string_view name) const;

 private:
  struct Impl;
  explicit GgufFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::model
