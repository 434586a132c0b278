#include "tokenfab/model/gguf_value.h"

#include <bit>
#include <cstring>

#include "tokenfab/base/check.h"

namespace tokenfab::model {
namespace {

static_assert(std::endian::native == std::endian::little,
              "GGUF files are little-endian; tokenfab encodes values by copying their bytes");

template <typename T>
void AppendRaw(std::string& out, T v) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));
  out.append(bytes, sizeof(T));
}

void AppendString(std::string& out, std::string_view s) {
  AppendRaw<uint64_t>(out, s.size());
  out.append(s);
}

std::string ArrayHeader(GgufValueType element_type, uint64_t count) {
  std::string out;
  AppendRaw<uint32_t>(out, static_cast<uint32_t>(element_type));
  AppendRaw<uint64_t>(out, count);
  return out;
}

}  // namespace

bool IsKnownGgufValueType(uint32_t type) {
  return type <= static_cast<uint32_t>(GgufValueType::kFloat64);
}

std::string_view GgufValueTypeName(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
      return "uint8";
    case GgufValueType::kInt8:
      return "int8";
    case GgufValueType::kUint16:
      return "uint16";
    case GgufValueType::kInt16:
      return "int16";
    case GgufValueType::kUint32:
      return "uint32";
    case GgufValueType::kInt32:
      return "int32";
    case GgufValueType::kFloat32:
      return "float32";
    case GgufValueType::kBool:
      return "bool";
    case GgufValueType::kString:
      return "string";
    case GgufValueType::kArray:
      return "array";
    case GgufValueType::kUint64:
      return "uint64";
    case GgufValueType::kInt64:
      return "int64";
    case GgufValueType::kFloat64:
      return "float64";
  }
  return "unknown";
}

uint64_t GgufValueTypeSize(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kBool:
      return 1;
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
      return 2;
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kFloat32:
      return 4;
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
    case GgufValueType::kFloat64:
      return 8;
    case GgufValueType::kString:
    case GgufValueType::kArray:
      return 0;
  }
  return 0;
}

bool IsGgufIntegerType(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8:
    case GgufValueType::kInt8:
    case GgufValueType::kUint16:
    case GgufValueType::kInt16:
    case GgufValueType::kUint32:
    case GgufValueType::kInt32:
    case GgufValueType::kUint64:
    case GgufValueType::kInt64:
      return true;
    default:
      return false;
  }
}

template <typename T>
GgufValue GgufValue::FixedScalar(GgufValueType type, T v) {
  std::string encoded;
  AppendRaw<T>(encoded, v);
  return GgufValue(type, GgufValueType::kUint8, 0, std::move(encoded));
}

GgufValue GgufValue::Uint8(uint8_t v) { return FixedScalar(GgufValueType::kUint8, v); }
GgufValue GgufValue::Int8(int8_t v) { return FixedScalar(GgufValueType::kInt8, v); }
GgufValue GgufValue::Uint16(uint16_t v) { return FixedScalar(GgufValueType::kUint16, v); }
GgufValue GgufValue::Int16(int16_t v) { return FixedScalar(GgufValueType::kInt16, v); }
GgufValue GgufValue::Uint32(uint32_t v) { return FixedScalar(GgufValueType::kUint32, v); }
GgufValue GgufValue::Int32(int32_t v) { return FixedScalar(GgufValueType::kInt32, v); }
GgufValue GgufValue::Uint64(uint64_t v) { return FixedScalar(GgufValueType::kUint64, v); }
GgufValue GgufValue::Int64(int64_t v) { return FixedScalar(GgufValueType::kInt64, v); }
GgufValue GgufValue::Float32(float v) { return FixedScalar(GgufValueType::kFloat32, v); }
GgufValue GgufValue::Float64(double v) { return FixedScalar(GgufValueType::kFloat64, v); }
GgufValue GgufValue::Bool(bool v) { return FixedScalar<uint8_t>(GgufValueType::kBool, v ? 1 : 0); }

GgufValue GgufValue::String(std::string_view v) {
  std::string encoded;
  AppendString(encoded, v);
  return GgufValue(GgufValueType::kString, GgufValueType::kUint8, 0, std::move(encoded));
}

template <typename T>
GgufValue GgufValue::Array(std::span<const T> values) {
  constexpr GgufValueType kType = GgufTypeOf<T>();
  std::string encoded = ArrayHeader(kType, values.size());
  const size_t header = encoded.size();
  encoded.resize(header + values.size_bytes());
  if (!values.empty()) std::memcpy(encoded.data() + header, values.data(), values.size_bytes());
  return GgufValue(GgufValueType::kArray, kType, values.size(), std::move(encoded));
}

template GgufValue GgufValue::Array<uint8_t>(std::span<const uint8_t>);
template GgufValue GgufValue::Array<int8_t>(std::span<const int8_t>);
template GgufValue GgufValue::Array<uint16_t>(std::span<const uint16_t>);
template GgufValue GgufValue::Array<int16_t>(std::span<const int16_t>);
template GgufValue GgufValue::Array<uint32_t>(std::span<const uint32_t>);
template GgufValue GgufValue::Array<int32_t>(std::span<const int32_t>);
template GgufValue GgufValue::Array<uint64_t>(std::span<const uint64_t>);
template GgufValue GgufValue::Array<int64_t>(std::span<const int64_t>);
template GgufValue GgufValue::Array<float>(std::span<const float>);
template GgufValue GgufValue::Array<double>(std::span<const double>);

GgufValue GgufValue::BoolArray(const std::vector<bool>& values) {
  std::string encoded = ArrayHeader(GgufValueType::kBool, values.size());
  for (bool v : values) encoded.push_back(v ? 1 : 0);
  return GgufValue(GgufValueType::kArray, GgufValueType::kBool, values.size(), std::move(encoded));
}

GgufValue GgufValue::StringArray(std::span<const std::string> values) {
  std::string encoded = ArrayHeader(GgufValueType::kString, values.size());
  size_t total = encoded.size();
  for (const std::string& v : values) total += sizeof(uint64_t) + v.size();
  encoded.reserve(total);
  for (const std::string& v : values) AppendString(encoded, v);
  return GgufValue(GgufValueType::kArray, GgufValueType::kString, values.size(),
                   std::move(encoded));
}

GgufValue GgufValue::ArrayOf(GgufValueType element_type, const std::vector<GgufValue>& elements) {
  std::string encoded = ArrayHeader(element_type, elements.size());
  for (const GgufValue& element : elements) {
    TF_CHECK(element.type() == element_type)
        << "array of " << GgufValueTypeName(element_type) << " given a "
        << GgufValueTypeName(element.type()) << " element";
    encoded.append(element.encoded());
  }
  return GgufValue(GgufValueType::kArray, element_type, elements.size(), std::move(encoded));
}

}  // namespace tokenfab::model
