// GgufFile: a read-only view of a GGUF file (versions 2 and 3), memory-mapped.
//
// Open() checks every count, length, offset and size against the file before using it, so a
// truncated or crafted file is an error value with a clear message ("tensor blk.3.attn_q.weight:
// q4_K data runs past the end of the file"), never a crash or an out-of-bounds read.
//
// Ownership: the GgufFile owns the mapping; string_views, spans and tensor data pointers it hands
// out stay valid while it lives. Movable, not copyable. Thread-safe for concurrent reads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/ggml_type.h"

namespace tokenfab::model {

// The metadata value types of the format, numbered as the file stores them.
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// One tensor's description and where its data lies in the mapping.
struct GgufTensorInfo {
  std::string name;
  kernels::GgmlType type;
  std::vector<int64_t> dims;  // ne[0] first: dims[0] is the contiguous (row) dimension
  uint64_t offset;            // from the start of the data section
  const uint8_t* data;        // into the mapping
  uint64_t size_bytes;

  int64_t num_elements() const;
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

  // Metadata. Each typed getter fails with "key <k> missing" or "key <k> is <type>, expected
  // <type>". Integer getters accept any integer type whose value fits.
  bool HasKey(std::string_view key) const;
  [[nodiscard]] StatusOr<GgufValueType> KeyType(std::string_view key) const;
  [[nodiscard]] StatusOr<uint64_t> GetUint(std::string_view key) const;
  [[nodiscard]] StatusOr<int64_t> GetInt(std::string_view key) const;
  [[nodiscard]] StatusOr<double> GetFloat(std::string_view key) const;  // float32 or float64
  [[nodiscard]] StatusOr<bool> GetBool(std::string_view key) const;
  [[nodiscard]] StatusOr<std::string_view> GetString(std::string_view key) const;
  [[nodiscard]] StatusOr<std::vector<std::string_view>> GetStringArray(std::string_view key) const;
  [[nodiscard]] StatusOr<std::vector<float>> GetFloatArray(std::string_view key) const;
  [[nodiscard]] StatusOr<std::vector<int64_t>> GetIntArray(std::string_view key) const;
  // Every key in file order.
  std::vector<std::string_view> Keys() const;

  // Tensors, in file order.
  const std::vector<GgufTensorInfo>& tensors() const;
  // nullptr when absent.
  const GgufTensorInfo* FindTensor(std::string_view name) const;
  [[nodiscard]] StatusOr<const GgufTensorInfo*> GetTensor(std::string_view name) const;

 private:
  struct Impl;
  explicit GgufFile(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::model
