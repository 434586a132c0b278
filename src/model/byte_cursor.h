// ByteCursor: reads little-endian values from a byte span front to back, checking every read
// against the end of the span first. A read that does not fit is an error ("unexpected end of
// data at byte 123: needs 8 bytes, 3 remain") and leaves the cursor where it was.
//
// Ownership: views the span, which must outlive it. Not thread-safe (it has a position).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "tokenfab/base/status.h"

namespace tokenfab::model {

class ByteCursor {
 public:
  explicit ByteCursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  uint64_t position() const { return position_; }
  uint64_t size() const { return bytes_.size(); }
  uint64_t remaining() const { return bytes_.size() - position_; }

  // Reads one arithmetic value of type T (little-endian, unaligned).
  template <typename T>
  [[nodiscard]] Status Read(T* out) {
    static_assert(std::is_arithmetic_v<T> && !std::is_same_v<T, bool>);
    TF_RETURN_IF_ERROR(Require(sizeof(T)));
    std::memcpy(out, bytes_.data() + position_, sizeof(T));
    position_ += sizeof(T);
    return absl::OkStatus();
  }

  // Reads `n` bytes as a view into the span.
  [[nodiscard]] Status ReadBytes(uint64_t n, std::span<const uint8_t>* out);
  // Reads a GGUF string: a u64 length, then that many bytes (viewed, not copied).
  [[nodiscard]] Status ReadString(std::string_view* out);
  // Moves forward `n` bytes.
  [[nodiscard]] Status Skip(uint64_t n);
  // The bytes from `start` up to the current position. REQUIRES: start <= position().
  std::span<const uint8_t> Since(uint64_t start) const {
    return bytes_.subspan(start, position_ - start);
  }

 private:
  [[nodiscard]] Status Require(uint64_t n) const;

  std::span<const uint8_t> bytes_;
  uint64_t position_ = 0;
};

}  // namespace tokenfab::model
