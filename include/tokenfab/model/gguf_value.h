// GgufValueType and GgufValue: the metadata value types of the GGUF format, and one encoded
// metadata value as the writer stores it (and as GgufFile::GetValue hands it out, so metadata
// can be copied from one file to another unchanged).
//
// A GgufValue is its type plus the exact bytes the file holds after the type tag: a scalar's
// little-endian bytes; a string's u64 length and its bytes; an array's element type (u32), element
// count (u64) and the elements' encodings. A plain value: copyable, no internal synchronisation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace tokenfab::model {

// The metadata value types, numbered as the file stores them.
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

// True for the numbers 0..12 above.
bool IsKnownGgufValueType(uint32_t type);
// "uint8", ..., "string", "array".
std::string_view GgufValueTypeName(GgufValueType type);
// Bytes of one value of a fixed-size type; 0 for string and array (variable size).
uint64_t GgufValueTypeSize(GgufValueType type);
// True for the eight integer types (bool is not an integer).
bool IsGgufIntegerType(GgufValueType type);

class GgufValue {
 public:
  static GgufValue Uint8(uint8_t v);
  static GgufValue Int8(int8_t v);
  static GgufValue Uint16(uint16_t v);
  static GgufValue Int16(int16_t v);
  static GgufValue Uint32(uint32_t v);
  static GgufValue Int32(int32_t v);
  static GgufValue Uint64(uint64_t v);
  static GgufValue Int64(int64_t v);
  static GgufValue Float32(float v);
  static GgufValue Float64(double v);
  static GgufValue Bool(bool v);
  static GgufValue String(std::string_view v);

  // An array of a fixed-size numeric type: T is one of uint8_t, int8_t, uint16_t, int16_t,
  // uint32_t, int32_t, uint64_t, int64_t, float, double.
  template <typename T>
  static GgufValue Array(std::span<const T> values);
  template <typename T>
  static GgufValue Array(const std::vector<T>& values) {
    return Array(std::span<const T>(values));
  }
  static GgufValue BoolArray(const std::vector<bool>& values);
  static GgufValue StringArray(std::span<const std::string> values);
  static GgufValue StringArray(const std::vector<std::string>& values) {
    return StringArray(std::span<const std::string>(values));
  }
  // An array of already-built values, all of type `element_type` (arrays of arrays included:
  // each inner array has its own element type). REQUIRES: every element's type() is element_type.
  static GgufValue ArrayOf(GgufValueType element_type, const std::vector<GgufValue>& elements);

  GgufValueType type() const { return type_; }
  // Arrays only: the element type and the number of elements (0 and kUint8 for non-arrays).
  GgufValueType element_type() const { return element_type_; }
  uint64_t count() const { return count_; }
  // The bytes the file holds after the value's type tag.
  const std::string& encoded() const { return encoded_; }

  friend bool operator==(const GgufValue& a, const GgufValue& b) {
    return a.type_ == b.type_ && a.encoded_ == b.encoded_;
  }

 private:
  friend class GgufFile;  // builds values from a file's bytes (GetValue)

  GgufValue(GgufValueType type, GgufValueType element_type, uint64_t count, std::string encoded)
      : type_(type), element_type_(element_type), count_(count), encoded_(std::move(encoded)) {}
  template <typename T>
  static GgufValue FixedScalar(GgufValueType type, T v);

  GgufValueType type_;
  GgufValueType element_type_;
  uint64_t count_;
  std::string encoded_;
};

// The GGUF type that stores a C++ arithmetic type (used by GgufValue::Array).
template <typename T>
constexpr GgufValueType GgufTypeOf() {
  if constexpr (std::is_same_v<T, uint8_t>)
    return GgufValueType::kUint8;
  else if constexpr (std::is_same_v<T, int8_t>)
    return GgufValueType::kInt8;
  else if constexpr (std::is_same_v<T, uint16_t>)
    return GgufValueType::kUint16;
  else if constexpr (std::is_same_v<T, int16_t>)
    return GgufValueType::kInt16;
  else if constexpr (std::is_same_v<T, uint32_t>)
    return GgufValueType::kUint32;
  else if constexpr (std::is_same_v<T, int32_t>)
    return GgufValueType::kInt32;
  else if constexpr (std::is_same_v<T, uint64_t>)
    return GgufValueType::kUint64;
  else if constexpr (std::is_same_v<T, int64_t>)
    return GgufValueType::kInt64;
  else if constexpr (std::is_same_v<T, float>)
    return GgufValueType::kFloat32;
  else if constexpr (std::is_same_v<T, double>)
    return GgufValueType::kFloat64;
  else
    static_assert(sizeof(T) == 0, "no GGUF value type stores this C++ type");
}

}  // namespace tokenfab::model
