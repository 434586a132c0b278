// RawGguf: appends little-endian values to a byte vector, to craft GGUF files (valid or not) byte
// by byte in tests. A plain value; not thread-safe.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace tokenfab::model::testing {

class RawGguf {
 public:
  template <typename T>
  RawGguf& Put(T v) {
    uint8_t b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    bytes_.insert(bytes_.end(), b, b + sizeof(T));
    return *this;
  }
  RawGguf& U8(uint8_t v) { return Put(v); }
  RawGguf& U32(uint32_t v) { return Put(v); }
  RawGguf& U64(uint64_t v) { return Put(v); }
  RawGguf& I64(int64_t v) { return Put(v); }
  // A GGUF string: u64 length, then the bytes.
  RawGguf& Str(std::string_view s) {
    U64(s.size());
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  // "GGUF", version, tensor count, key count.
  RawGguf& Header(uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    Str4("GGUF");
    return U32(version).U64(n_tensors).U64(n_kv);
  }
  // A key with a uint32 value.
  RawGguf& KeyU32(std::string_view key, uint32_t v) { return Str(key).U32(4).U32(v); }
  // A tensor info: name, dims, type, offset.
  RawGguf& Tensor(std::string_view name, const std::vector<int64_t>& dims, uint32_t type,
                  uint64_t offset) {
    Str(name).U32(static_cast<uint32_t>(dims.size()));
    for (int64_t d : dims) I64(d);
    return U32(type).U64(offset);
  }
  RawGguf& Pad(size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
    return *this;
  }
  RawGguf& Zeros(size_t n) {
    bytes_.insert(bytes_.end(), n, 0);
    return *this;
  }

  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  RawGguf& Str4(std::string_view s) {
    bytes_.insert(bytes_.end(), s.begin(), s.end());
    return *this;
  }
  std::vector<uint8_t> bytes_;
};

}  // namespace tokenfab::model::testing
