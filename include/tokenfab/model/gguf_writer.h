// GgufWriter: builds a GGUF file (version 3 by default; 2 on request): metadata of every value
// type, then tensors, each data block aligned (32 bytes unless general.alignment says otherwise).
//
// Tensor data is never held by the writer: each tensor comes with a function that produces its
// bytes, called once per write, in file order, into a buffer the writer reuses. So a multi-GB
// model streams to disk one tensor at a time and peak memory is about the largest tensor.
//
// Ownership: owns the metadata and the tensor descriptions (and the data functions, with whatever
// they capture). Movable, not copyable. Not thread-safe; a data function may use threads inside.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/kernels/ggml_type.h"
#include "tokenfab/model/gguf_value.h"

namespace tokenfab::model {

class GgufWriter {
 public:
  // Fills `out` (exactly the tensor's size in bytes) with the tensor's data.
  using TensorDataFn = std::function<Status(std::span<uint8_t> out)>;
  // Receives the file's bytes, front to back.
  using Sink = std::function<Status(std::span<const uint8_t> bytes)>;

  // REQUIRES: version is 2 or 3 (their little-endian layouts are the same).
  explicit GgufWriter(uint32_t version = 3);
  GgufWriter(GgufWriter&&) noexcept = default;
  GgufWriter& operator=(GgufWriter&&) noexcept = default;

  // Sets `key` to `value`: an existing key keeps its place and takes the new value, a new key is
  // appended. "general.alignment" sets the data alignment. REQUIRES: key non-empty; for
  // general.alignment, a uint32 non-zero power of two.
  void Set(std::string_view key, GgufValue value);
  // Same as Set("general.alignment", GgufValue::Uint32(alignment)).
  void SetAlignment(uint32_t alignment);
  bool HasKey(std::string_view key) const;
  // Removes `key` (not general.alignment); false when it was not there.
  bool Remove(std::string_view key);
  uint32_t alignment() const { return alignment_; }

  // Adds a tensor after those already added. `dims` is ne[0] first (1 to 4 of them, each >= 1);
  // ne[0] must be a whole number of the type's blocks. Fails on a duplicate or empty name or a
  // bad shape. `data` is called when the file is written.
  [[nodiscard]] Status AddTensor(std::string name, kernels::GgmlType type,
                                 std::vector<int64_t> dims, TensorDataFn data);
  size_t num_tensors() const { return tensors_.size(); }

  // The size of the whole file as it will be written, bytes.
  uint64_t FileSize() const;

  // Writes the file to `sink`. A data function's error stops the write and is returned with the
  // tensor's name.
  [[nodiscard]] Status WriteTo(const Sink& sink) const;
  // Writes `path` through a temporary file next to it, renamed into place only when complete, so
  // a failed write never leaves a partial file under the final name.
  [[nodiscard]] Status WriteFile(const std::string& path) const;
  // The whole file in memory (tests, fuzz seeds, small files).
  [[nodiscard]] StatusOr<std::vector<uint8_t>> WriteToBuffer() const;

 private:
  struct Entry {
    std::string key;
    GgufValue value;
  };
  struct Tensor {
    std::string name;
    kernels::GgmlType type;
    std::vector<int64_t> dims;
    uint64_t size_bytes;
    TensorDataFn data;
  };

  // Header, metadata and tensor infos, padded to the alignment.
  std::string EncodeHeader() const;

  uint32_t version_;
  uint32_t alignment_;
  std::vector<Entry> metadata_;
  std::vector<Tensor> tensors_;
};

}  // namespace tokenfab::model
