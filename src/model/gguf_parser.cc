#include "model/gguf_parser.h"

#include <fmt/format.h>

#include <cstring>
#include <limits>
#include <optional>

#include "model/byte_cursor.h"

namespace tokenfab::model {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr int kMaxDims = 4;
// The fewest bytes one metadata entry can take: key length (8), a 1-byte key, type (4), and a
// 1-byte value.
constexpr uint64_t kMinEntryBytes = 8 + 1 + 4 + 1;
// The fewest bytes one tensor info can take: name length (8), a 1-byte name, n_dims (4), one
// dimension (8), type (4), offset (8).
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;
// The fewest bytes of an array value: element type (4) and count (8).
constexpr uint64_t kArrayHeaderBytes = 4 + 8;
constexpr std::string_view kAlignmentKey = "general.alignment";

Status WithContext(const Status& status, std::string_view context) {
  return Status(status.code(), fmt::format("{}: {}", context, status.message()));
}

Status Invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// The fewest bytes one element of `type` takes in an array.
uint64_t MinElementBytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::kString:
      return 8;
    case GgufValueType::kArray:
      return kArrayHeaderBytes;
    default:
      return GgufValueTypeSize(type);
  }
}

StatusOr<GgufValueType> ReadValueType(ByteCursor& cursor) {
  uint32_t raw = 0;
  TF_RETURN_IF_ERROR(cursor.Read(&raw));
  if (!IsKnownGgufValueType(raw)) return Invalid(fmt::format("unknown value type {}", raw));
  return static_cast<GgufValueType>(raw);
}

Status CheckBools(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes) {
    if (b > 1) return Invalid(fmt::format("bool value {} is neither 0 nor 1", b));
  }
  return absl::OkStatus();
}

Status SkipValue(ByteCursor& cursor, GgufValueType type, int depth);

// Reads an array's header and skips its elements, checking each. `depth` is this array's
// nesting level (1 for a top-level array).
Status SkipArray(ByteCursor& cursor, int depth, GgufValueType* element_type, uint64_t* count) {
  if (depth > kMaxGgufArrayNesting) {
    return Invalid(fmt::format("arrays nested more than {} deep", kMaxGgufArrayNesting));
  }
  TF_ASSIGN_OR_RETURN(*element_type, ReadValueType(cursor));
  TF_RETURN_IF_ERROR(cursor.Read(count));
  const uint64_t min_bytes = MinElementBytes(*element_type);
  if (*count > cursor.remaining() / min_bytes) {
    return Invalid(
        fmt::format("array of {} {} values needs at least {} bytes per value, but "
                    "only {} bytes remain",
                    *count, GgufValueTypeName(*element_type), min_bytes, cursor.remaining()));
  }
  const uint64_t fixed = GgufValueTypeSize(*element_type);
  if (fixed != 0) {
    std::span<const uint8_t> elements;
    TF_RETURN_IF_ERROR(cursor.ReadBytes(*count * fixed, &elements));
    if (*element_type == GgufValueType::kBool) TF_RETURN_IF_ERROR(CheckBools(elements));
    return absl::OkStatus();
  }
  for (uint64_t i = 0; i < *count; ++i) {
    if (Status status = SkipValue(cursor, *element_type, depth + 1); !status.ok()) {
      return WithContext(status, fmt::format("element {}", i));
    }
  }
  return absl::OkStatus();
}

// Skips one value of `type`, checking it. `depth` is the nesting level an array value would have.
Status SkipValue(ByteCursor& cursor, GgufValueType type, int depth) {
  if (type == GgufValueType::kString) {
    std::string_view ignored;
    return cursor.ReadString(&ignored);
  }
  if (type == GgufValueType::kArray) {
    GgufValueType element_type;
    uint64_t count = 0;
    return SkipArray(cursor, depth, &element_type, &count);
  }
  std::span<const uint8_t> bytes;
  TF_RETURN_IF_ERROR(cursor.ReadBytes(GgufValueTypeSize(type), &bytes));
  if (type == GgufValueType::kBool) return CheckBools(bytes);
  return absl::OkStatus();
}

Status ParseHeader(ByteCursor& cursor, GgufLayout& layout, uint64_t* n_tensors, uint64_t* n_kv) {
  uint32_t magic = 0;
  if (!cursor.Read(&magic).ok() || magic != kMagic) {
    return Invalid("not a GGUF file (it does not start with the bytes \"GGUF\")");
  }
  if (!cursor.Read(&layout.version).ok()) return Invalid("truncated GGUF header (no version)");
  if (layout.version != 2 && layout.version != 3) {
    const bool big_endian = layout.version == 0x02000000 || layout.version == 0x03000000;
    return absl::UnimplementedError(
        fmt::format("GGUF version {} is not supported (only versions 2 and 3){}", layout.version,
                    big_endian ? "; this looks like a big-endian file" : ""));
  }
  if (!cursor.Read(n_tensors).ok() || !cursor.Read(n_kv).ok()) {
    return Invalid("truncated GGUF header (no tensor or key count)");
  }
  if (*n_tensors > cursor.remaining() / kMinTensorInfoBytes) {
    return Invalid(fmt::format("header claims {} tensors, more than the {} bytes left can hold",
                               *n_tensors, cursor.remaining()));
  }
  if (*n_kv > cursor.remaining() / kMinEntryBytes) {
    return Invalid(
        fmt::format("header claims {} metadata keys, more than the {} bytes left can hold", *n_kv,
                    cursor.remaining()));
  }
  return absl::OkStatus();
}

Status ParseEntry(ByteCursor& cursor, uint64_t index, GgufLayout& layout) {
  GgufMetadataEntry entry;
  if (Status status = cursor.ReadString(&entry.key); !status.ok()) {
    return WithContext(status, fmt::format("metadata key {}", index));
  }
  if (entry.key.empty()) return Invalid(fmt::format("metadata key {} is empty", index));
  const std::string context = fmt::format("key {}", entry.key);
  if (layout.key_index.contains(entry.key)) return Invalid(context + " appears twice");
  StatusOr<GgufValueType> type = ReadValueType(cursor);
  if (!type.ok()) return WithContext(type.status(), context);
  entry.type = *type;
  const uint64_t start = cursor.position();
  Status status = entry.type == GgufValueType::kArray
                      ? SkipArray(cursor, 1, &entry.element_type, &entry.count)
                      : SkipValue(cursor, entry.type, 1);
  if (!status.ok()) return WithContext(status, context);
  entry.encoded = cursor.Since(start);
  layout.key_index.emplace(entry.key, layout.metadata.size());
  layout.metadata.push_back(entry);
  return absl::OkStatus();
}

Status ApplyAlignment(GgufLayout& layout) {
  auto it = layout.key_index.find(kAlignmentKey);
  if (it == layout.key_index.end()) return absl::OkStatus();
  const GgufMetadataEntry& entry = layout.metadata[it->second];
  if (entry.type != GgufValueType::kUint32) {
    return Invalid(
        fmt::format("key {} is {}, expected uint32", kAlignmentKey, GgufValueTypeName(entry.type)));
  }
  uint32_t alignment = 0;
  std::memcpy(&alignment, entry.encoded.data(), sizeof(alignment));
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    return Invalid(
        fmt::format("key {} = {} is not a non-zero power of two", kAlignmentKey, alignment));
  }
  layout.alignment = alignment;
  return absl::OkStatus();
}

// Reads the dimensions and returns the element count, checking that it fits int64.
Status ReadDims(ByteCursor& cursor, GgufTensorInfo& info, int64_t* elements) {
  uint32_t n_dims = 0;
  TF_RETURN_IF_ERROR(cursor.Read(&n_dims));
  if (n_dims < 1 || n_dims > kMaxDims) {
    return Invalid(fmt::format("{} dimensions (1 to {} allowed)", n_dims, kMaxDims));
  }
  *elements = 1;
  for (uint32_t i = 0; i < n_dims; ++i) {
    int64_t dim = 0;
    TF_RETURN_IF_ERROR(cursor.Read(&dim));
    if (dim < 1) return Invalid(fmt::format("dimension {} is {} (must be at least 1)", i, dim));
    if (dim > std::numeric_limits<int64_t>::max() / *elements) {
      return Invalid("element count overflows int64");
    }
    *elements *= dim;
    info.dims.push_back(dim);
  }
  return absl::OkStatus();
}

// Reads the type and sets the byte size.
Status ReadType(ByteCursor& cursor, GgufTensorInfo& info, int64_t elements) {
  uint32_t raw_type = 0;
  TF_RETURN_IF_ERROR(cursor.Read(&raw_type));
  const std::optional<kernels::GgmlTypeInfo> type = kernels::GetGgmlTypeInfo(raw_type);
  if (!type.has_value()) return Invalid(fmt::format("unknown tensor type {}", raw_type));
  info.type = static_cast<kernels::GgmlType>(raw_type);
  if (info.dims[0] % type->block_elements != 0) {
    return Invalid(fmt::format("{} rows of {} elements are not a whole number of {}-element blocks",
                               type->name, info.dims[0], type->block_elements));
  }
  const int64_t blocks = elements / type->block_elements;
  if (blocks > std::numeric_limits<int64_t>::max() / type->block_bytes) {
    return Invalid(fmt::format("{} data size overflows int64", type->name));
  }
  info.size_bytes = static_cast<uint64_t>(blocks * type->block_bytes);
  return absl::OkStatus();
}

Status ParseTensorInfo(ByteCursor& cursor, uint64_t index, GgufLayout& layout) {
  std::string_view name;
  if (Status status = cursor.ReadString(&name); !status.ok()) {
    return WithContext(status, fmt::format("tensor {}", index));
  }
  if (name.empty()) return Invalid(fmt::format("tensor {} has an empty name", index));
  const std::string context = fmt::format("tensor {}", name);
  if (layout.tensor_index.contains(name)) return Invalid(context + " appears twice");
  GgufTensorInfo info{.name = std::string(name),
                      .type = kernels::GgmlType::kF32,
                      .dims = {},
                      .offset = 0,
                      .data = nullptr,
                      .size_bytes = 0};
  int64_t elements = 0;
  Status status = ReadDims(cursor, info, &elements);
  if (status.ok()) status = ReadType(cursor, info, elements);
  if (status.ok()) status = cursor.Read(&info.offset);
  if (!status.ok()) return WithContext(status, context);
  layout.tensor_index.emplace(name, layout.tensors.size());
  layout.tensors.push_back(std::move(info));
  return absl::OkStatus();
}

// Finds where the data section starts and checks that every tensor's data lies inside the file.
Status PlaceTensors(std::span<const uint8_t> bytes, uint64_t end_of_infos, GgufLayout& layout) {
  const uint64_t file_size = bytes.size();
  layout.data_offset = (end_of_infos + layout.alignment - 1) / layout.alignment * layout.alignment;
  if (layout.tensors.empty()) return absl::OkStatus();
  if (layout.data_offset > file_size) {
    return Invalid(
        fmt::format("the data section would start at byte {}, past the end of the "
                    "file ({} bytes)",
                    layout.data_offset, file_size));
  }
  const uint64_t data_bytes = file_size - layout.data_offset;
  for (GgufTensorInfo& info : layout.tensors) {
    const std::string_view type_name = kernels::GetGgmlTypeInfo(info.type).name;
    if (info.offset % layout.alignment != 0) {
      return Invalid(fmt::format("tensor {}: data offset {} is not a multiple of the alignment {}",
                                 info.name, info.offset, layout.alignment));
    }
    if (info.offset > data_bytes || info.size_bytes > data_bytes - info.offset) {
      return absl::OutOfRangeError(fmt::format(
          "tensor {}: {} data runs past the end of the file ({} bytes at data offset {}; the data "
          "section holds {} bytes)",
          info.name, type_name, info.size_bytes, info.offset, data_bytes));
    }
    info.data = bytes.data() + layout.data_offset + info.offset;
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<GgufLayout> ParseGguf(std::span<const uint8_t> bytes) {
  ByteCursor cursor(bytes);
  GgufLayout layout;
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
  TF_RETURN_IF_ERROR(ParseHeader(cursor, layout, &n_tensors, &n_kv));
  for (uint64_t i = 0; i < n_kv; ++i) TF_RETURN_IF_ERROR(ParseEntry(cursor, i, layout));
  TF_RETURN_IF_ERROR(ApplyAlignment(layout));
  for (uint64_t i = 0; i < n_tensors; ++i) TF_RETURN_IF_ERROR(ParseTensorInfo(cursor, i, layout));
  TF_RETURN_IF_ERROR(PlaceTensors(bytes, cursor.position(), layout));
  return layout;
}

}  // namespace tokenfab::model
