#include "model/byte_cursor.h"

#include <fmt/format.h>

namespace tokenfab::model {

Status ByteCursor::Require(uint64_t n) const {
  if (n <= remaining()) return absl::OkStatus();
  return absl::OutOfRangeError(fmt::format(
      "unexpected end of data at byte {}: needs {} bytes, {} remain", position_, n, remaining()));
}

Status ByteCursor::ReadBytes(uint64_t n, std::span<const uint8_t>* out) {
  TF_RETURN_IF_ERROR(Require(n));
  *out = bytes_.subspan(position_, n);
  position_ += n;
  return absl::OkStatus();
}

Status ByteCursor::ReadString(std::string_view* out) {
  const uint64_t start = position_;
  uint64_t length = 0;
  TF_RETURN_IF_ERROR(Read(&length));
  if (Status status = Require(length); !status.ok()) {
    position_ = start;
    return absl::OutOfRangeError(
        fmt::format("string of {} bytes at byte {} runs past the end of the data ({} bytes)",
                    length, start, size()));
  }
  *out = std::string_view(reinterpret_cast<const char*>(bytes_.data() + position_), length);
  position_ += length;
  return absl::OkStatus();
}

Status ByteCursor::Skip(uint64_t n) {
  TF_RETURN_IF_ERROR(Require(n));
  position_ += n;
  return absl::OkStatus();
}

}  // namespace tokenfab::model
