#include "tokenfab/model/gguf_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include <fmt/format.h>

#include "tokenfab/base/check.h"
#include "tokenfab/model/gguf_file.h"

namespace tokenfab::model {
namespace {

constexpr std::string_view kAlignmentKey = "general.alignment";
constexpr int kMaxDims = 4;

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

uint64_t AlignUp(uint64_t n, uint64_t alignment) {
  return (n + alignment - 1) / alignment * alignment;
}

// Closes the FILE on every path.
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

GgufWriter::GgufWriter(uint32_t version) : version_(version), alignment_(kDefaultGgufAlignment) {
  TF_CHECK(version == 2 || version == 3) << "GGUF version " << version;
}

void GgufWriter::Set(std::string_view key, GgufValue value) {
  TF_CHECK(!key.empty()) << "empty metadata key";
  if (key == kAlignmentKey) {
    TF_CHECK(value.type() == GgufValueType::kUint32) << "general.alignment must be uint32";
    uint32_t alignment = 0;
    std::memcpy(&alignment, value.encoded().data(), sizeof(alignment));
    TF_CHECK(alignment != 0 && (alignment & (alignment - 1)) == 0)
        << "alignment " << alignment << " is not a power of two";
    alignment_ = alignment;
  }
  for (Entry& entry : metadata_) {
    if (entry.key == key) {
      entry.value = std::move(value);
      return;
    }
  }
  metadata_.push_back(Entry{std::string(key), std::move(value)});
}

void GgufWriter::SetAlignment(uint32_t alignment) {
  Set(kAlignmentKey, GgufValue::Uint32(alignment));
}

bool GgufWriter::HasKey(std::string_view key) const {
  return std::any_of(metadata_.begin(), metadata_.end(),
                     [key](const Entry& entry) { return entry.key == key; });
}

bool GgufWriter::Remove(std::string_view key) {
  const auto it = std::find_if(metadata_.begin(), metadata_.end(),
                               [key](const Entry& entry) { return entry.key == key; });
  if (it == metadata_.end() || key == kAlignmentKey) return false;
  metadata_.erase(it);
  return true;
}

Status GgufWriter::AddTensor(std::string name, kernels::GgmlType type, std::vector<int64_t> dims,
                             TensorDataFn data) {
  if (name.empty()) return absl::InvalidArgumentError("tensor with an empty name");
  for (const Tensor& tensor : tensors_) {
    if (tensor.name == name) {
      return absl::InvalidArgumentError(fmt::format("tensor {} added twice", name));
    }
  }
  if (dims.empty() || dims.size() > kMaxDims) {
    return absl::InvalidArgumentError(
        fmt::format("tensor {}: {} dimensions (1 to {} allowed)", name, dims.size(), kMaxDims));
  }
  const kernels::GgmlTypeInfo& info = kernels::GetGgmlTypeInfo(type);
  int64_t elements = 1;
  for (int64_t d : dims) {
    if (d < 1 || d > std::numeric_limits<int64_t>::max() / elements) {
      return absl::InvalidArgumentError(fmt::format("tensor {}: bad dimension {}", name, d));
    }
    elements *= d;
  }
  if (dims[0] % info.block_elements != 0) {
    return absl::InvalidArgumentError(
        fmt::format("tensor {}: {} rows of {} elements are not a whole number of {}-element blocks",
                    name, info.name, dims[0], info.block_elements));
  }
  const int64_t blocks = elements / info.block_elements;
  if (blocks > std::numeric_limits<int64_t>::max() / info.block_bytes) {
    return absl::InvalidArgumentError(fmt::format("tensor {}: data size overflows", name));
  }
  const uint64_t size_bytes = static_cast<uint64_t>(blocks * info.block_bytes);
  tensors_.push_back(Tensor{std::move(name), type, std::move(dims), size_bytes, std::move(data)});
  return absl::OkStatus();
}

std::string GgufWriter::EncodeHeader() const {
  std::string out = "GGUF";
  AppendRaw<uint32_t>(out, version_);
  AppendRaw<uint64_t>(out, tensors_.size());
  AppendRaw<uint64_t>(out, metadata_.size());
  for (const Entry& entry : metadata_) {
    AppendString(out, entry.key);
    AppendRaw<uint32_t>(out, static_cast<uint32_t>(entry.value.type()));
    out.append(entry.value.encoded());
  }
  // Offsets follow from the sizes and the alignment (which may be set after the tensors).
  uint64_t offset = 0;
  for (const Tensor& tensor : tensors_) {
    AppendString(out, tensor.name);
    AppendRaw<uint32_t>(out, static_cast<uint32_t>(tensor.dims.size()));
    for (int64_t d : tensor.dims) AppendRaw<int64_t>(out, d);
    AppendRaw<uint32_t>(out, static_cast<uint32_t>(tensor.type));
    AppendRaw<uint64_t>(out, offset);
    offset = AlignUp(offset + tensor.size_bytes, alignment_);
  }
  out.resize(AlignUp(out.size(), alignment_), '\0');
  return out;
}

uint64_t GgufWriter::FileSize() const {
  uint64_t data = 0;
  for (const Tensor& tensor : tensors_) data = AlignUp(data + tensor.size_bytes, alignment_);
  return EncodeHeader().size() + data;
}

Status GgufWriter::WriteTo(const Sink& sink) const {
  const std::string header = EncodeHeader();
  TF_RETURN_IF_ERROR(sink({reinterpret_cast<const uint8_t*>(header.data()), header.size()}));
  uint64_t largest = 0;
  for (const Tensor& tensor : tensors_) largest = std::max(largest, tensor.size_bytes);
  std::vector<uint8_t> buffer;
  buffer.reserve(largest + alignment_);
  for (const Tensor& tensor : tensors_) {
    const uint64_t padded = AlignUp(tensor.size_bytes, alignment_);
    buffer.assign(padded, 0);
    if (Status status = tensor.data(std::span<uint8_t>(buffer.data(), tensor.size_bytes));
        !status.ok()) {
      return Status(status.code(), fmt::format("tensor {}: {}", tensor.name, status.message()));
    }
    TF_RETURN_IF_ERROR(sink(buffer));
  }
  return absl::OkStatus();
}

Status GgufWriter::WriteFile(const std::string& path) const {
  const std::string temp = path + ".partial";
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(temp.c_str(), "wb"));
  if (file == nullptr) {
    return absl::PermissionDeniedError(
        fmt::format("{}: cannot create: {}", temp, std::strerror(errno)));
  }
  Status status = WriteTo([&](std::span<const uint8_t> bytes) -> Status {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
      return absl::InternalError(fmt::format("{}: write failed: {}", temp, std::strerror(errno)));
    }
    return absl::OkStatus();
  });
  if (status.ok() && std::fflush(file.get()) != 0) {
    status = absl::InternalError(fmt::format("{}: write failed: {}", temp, std::strerror(errno)));
  }
  if (std::fclose(file.release()) != 0 && status.ok()) {
    status = absl::InternalError(fmt::format("{}: close failed: {}", temp, std::strerror(errno)));
  }
  std::error_code error;
  if (status.ok()) {
    std::filesystem::rename(temp, path, error);
    if (error) {
      status = absl::InternalError(
          fmt::format("cannot rename {} to {}: {}", temp, path, error.message()));
    }
  }
  if (!status.ok()) std::filesystem::remove(temp, error);
  return status;
}

StatusOr<std::vector<uint8_t>> GgufWriter::WriteToBuffer() const {
  std::vector<uint8_t> out;
  out.reserve(FileSize());
  TF_RETURN_IF_ERROR(WriteTo([&out](std::span<const uint8_t> bytes) -> Status {
    out.insert(out.end(), bytes.begin(), bytes.end());
    return absl::OkStatus();
  }));
  return out;
}

}  // namespace tokenfab::model
