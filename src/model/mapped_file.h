// MappedFile: a whole file mapped read-only into memory (mmap), unmapped when destroyed.
//
// Ownership: owns the mapping; bytes() stays valid while the object lives (moving it keeps the
// same mapping). Movable, not copyable. Thread-safe for concurrent reads.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "tokenfab/base/status.h"

namespace tokenfab::model {

class MappedFile {
 public:
  // Maps `path`. An empty file maps to an empty span. Errors name the file and the reason.
  [[nodiscard]] static StatusOr<MappedFile> Open(const std::string& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const uint8_t> bytes() const { return {data_, size_}; }

 private:
  MappedFile(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  void Unmap();

  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tokenfab::model
