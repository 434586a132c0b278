#include "tokenfab/model/gguf_file.h"

#include <cstring>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "model/byte_cursor.h"
#include "model/gguf_parser.h"
#include "model/mapped_file.h"

namespace tokenfab::model {
namespace {

constexpr uint64_t kArrayHeaderBytes = 4 + 8;

// An integer metadata value of any width and signedness.
struct IntegerValue {
  bool is_signed;
  int64_t s;   // when is_signed
  uint64_t u;  // when !is_signed
};

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

// REQUIRES: IsGgufIntegerType(type); p points at GgufValueTypeSize(type) valid bytes.
IntegerValue DecodeInteger(GgufValueType type, const uint8_t* p) {
  switch (type) {
    case GgufValueType::kUint8:
      return {false, 0, Load<uint8_t>(p)};
    case GgufValueType::kUint16:
      return {false, 0, Load<uint16_t>(p)};
    case GgufValueType::kUint32:
      return {false, 0, Load<uint32_t>(p)};
    case GgufValueType::kUint64:
      return {false, 0, Load<uint64_t>(p)};
    case GgufValueType::kInt8:
      return {true, Load<int8_t>(p), 0};
    case GgufValueType::kInt16:
      return {true, Load<int16_t>(p), 0};
    case GgufValueType::kInt32:
      return {true, Load<int32_t>(p), 0};
    case GgufValueType::kInt64:
      return {true, Load<int64_t>(p), 0};
    default:
      return {false, 0, 0};
  }
}

std::string Describe(const GgufMetadataEntry& entry) {
  if (entry.type != GgufValueType::kArray) return std::string(GgufValueTypeName(entry.type));
  return fmt::format("array of {}", GgufValueTypeName(entry.element_type));
}

Status WrongType(const GgufMetadataEntry& entry, std::string_view expected) {
  return absl::InvalidArgumentError(
      fmt::format("key {} is {}, expected {}", entry.key, Describe(entry), expected));
}

// The elements of an array entry (after its element type and count).
std::span<const uint8_t> Elements(const GgufMetadataEntry& entry) {
  return entry.encoded.subspan(kArrayHeaderBytes);
}

}  // namespace

int64_t GgufTensorInfo::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

struct GgufFile::Impl {
  std::optional<MappedFile> mapping;  // absent for Parse()
  std::span<const uint8_t> bytes;
  GgufLayout layout;

  StatusOr<const GgufMetadataEntry*> Find(std::string_view key) const {
    auto it = layout.key_index.find(key);
    if (it == layout.key_index.end()) {
      return absl::NotFoundError(fmt::format("key {} missing", key));
    }
    return &layout.metadata[it->second];
  }
};

GgufFile::GgufFile(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

StatusOr<GgufFile> GgufFile::Open(const std::string& path) {
  TF_ASSIGN_OR_RETURN(MappedFile mapping, MappedFile::Open(path));
  auto impl = std::make_unique<Impl>();
  impl->bytes = mapping.bytes();
  impl->mapping.emplace(std::move(mapping));
  StatusOr<GgufLayout> layout = ParseGguf(impl->bytes);
  if (!layout.ok()) {
    return Status(layout.status().code(), fmt::format("{}: {}", path, layout.status().message()));
  }
  impl->layout = std::move(*layout);
  return GgufFile(std::move(impl));
}

StatusOr<GgufFile> GgufFile::Parse(std::span<const uint8_t> bytes) {
  auto impl = std::make_unique<Impl>();
  impl->bytes = bytes;
  TF_ASSIGN_OR_RETURN(impl->layout, ParseGguf(bytes));
  return GgufFile(std::move(impl));
}

uint32_t GgufFile::version() const { return impl_->layout.version; }
uint64_t GgufFile::alignment() const { return impl_->layout.alignment; }
uint64_t GgufFile::file_size() const { return impl_->bytes.size(); }
uint64_t GgufFile::data_offset() const { return impl_->layout.data_offset; }

bool GgufFile::HasKey(std::string_view key) const { return impl_->layout.key_index.contains(key); }

StatusOr<GgufValueType> GgufFile::KeyType(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  return entry->type;
}

StatusOr<uint64_t> GgufFile::GetUint(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (!IsGgufIntegerType(entry->type)) return WrongType(*entry, "an unsigned integer");
  const IntegerValue v = DecodeInteger(entry->type, entry->encoded.data());
  if (!v.is_signed) return v.u;
  if (v.s < 0) {
    return absl::InvalidArgumentError(
        fmt::format("key {} = {} is negative, expected an unsigned integer", key, v.s));
  }
  return static_cast<uint64_t>(v.s);
}

StatusOr<int64_t> GgufFile::GetInt(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (!IsGgufIntegerType(entry->type)) return WrongType(*entry, "an integer");
  const IntegerValue v = DecodeInteger(entry->type, entry->encoded.data());
  if (v.is_signed) return v.s;
  if (v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return absl::InvalidArgumentError(fmt::format("key {} = {} does not fit int64", key, v.u));
  }
  return static_cast<int64_t>(v.u);
}

StatusOr<double> GgufFile::GetFloat(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (entry->type == GgufValueType::kFloat32) return Load<float>(entry->encoded.data());
  if (entry->type == GgufValueType::kFloat64) return Load<double>(entry->encoded.data());
  return WrongType(*entry, "float32 or float64");
}

StatusOr<bool> GgufFile::GetBool(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (entry->type != GgufValueType::kBool) return WrongType(*entry, "bool");
  return entry->encoded[0] != 0;
}

StatusOr<std::string_view> GgufFile::GetString(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (entry->type != GgufValueType::kString) return WrongType(*entry, "string");
  ByteCursor cursor(entry->encoded);
  std::string_view value;
  TF_RETURN_IF_ERROR(cursor.ReadString(&value));
  return value;
}

StatusOr<GgufArrayInfo> GgufFile::GetArrayInfo(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (entry->type != GgufValueType::kArray) return WrongType(*entry, "array");
  return GgufArrayInfo{entry->element_type, entry->count};
}

StatusOr<std::vector<std::string_view>> GgufFile::GetStringArray(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (entry->type != GgufValueType::kArray || entry->element_type != GgufValueType::kString) {
    return WrongType(*entry, "array of string");
  }
  std::vector<std::string_view> out;
  out.reserve(entry->count);  // the parser bounded count by the bytes present
  ByteCursor cursor(Elements(*entry));
  for (uint64_t i = 0; i < entry->count; ++i) {
    std::string_view s;
    TF_RETURN_IF_ERROR(cursor.ReadString(&s));
    out.push_back(s);
  }
  return out;
}

StatusOr<std::vector<float>> GgufFile::GetFloatArray(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  const bool f32 = entry->element_type == GgufValueType::kFloat32;
  const bool f64 = entry->element_type == GgufValueType::kFloat64;
  if (entry->type != GgufValueType::kArray || !(f32 || f64)) {
    return WrongType(*entry, "array of float32");
  }
  const uint8_t* p = Elements(*entry).data();
  std::vector<float> out(entry->count);
  for (uint64_t i = 0; i < entry->count; ++i) {
    out[i] = f32 ? Load<float>(p + 4 * i) : static_cast<float>(Load<double>(p + 8 * i));
  }
  return out;
}

StatusOr<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  if (entry->type != GgufValueType::kArray || !IsGgufIntegerType(entry->element_type)) {
    return WrongType(*entry, "array of integers");
  }
  const uint64_t size = GgufValueTypeSize(entry->element_type);
  const uint8_t* p = Elements(*entry).data();
  std::vector<int64_t> out(entry->count);
  for (uint64_t i = 0; i < entry->count; ++i) {
    const IntegerValue v = DecodeInteger(entry->element_type, p + size * i);
    if (!v.is_signed && v.u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(
          fmt::format("key {}: element {} = {} does not fit int64", key, i, v.u));
    }
    out[i] = v.is_signed ? v.s : static_cast<int64_t>(v.u);
  }
  return out;
}

StatusOr<GgufValue> GgufFile::GetValue(std::string_view key) const {
  TF_ASSIGN_OR_RETURN(const GgufMetadataEntry* entry, impl_->Find(key));
  std::string encoded(reinterpret_cast<const char*>(entry->encoded.data()), entry->encoded.size());
  return GgufValue(entry->type, entry->element_type, entry->count, std::move(encoded));
}

std::vector<std::string_view> GgufFile::Keys() const {
  std::vector<std::string_view> keys;
  keys.reserve(impl_->layout.metadata.size());
  for (const GgufMetadataEntry& entry : impl_->layout.metadata) keys.push_back(entry.key);
  return keys;
}

const std::vector<GgufTensorInfo>& GgufFile::tensors() const { return impl_->layout.tensors; }

const GgufTensorInfo* GgufFile::FindTensor(std::string_view name) const {
  auto it = impl_->layout.tensor_index.find(name);
  if (it == impl_->layout.tensor_index.end()) return nullptr;
  return &impl_->layout.tensors[it->second];
}

StatusOr<const GgufTensorInfo*> GgufFile::GetTensor(std::string_view name) const {
  const GgufTensorInfo* info = FindTensor(name);
  if (info == nullptr) return absl::NotFoundError(fmt::format("tensor {} missing", name));
  return info;
}

}  // namespace tokenfab::model
