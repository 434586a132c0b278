#include "tokenfab/routing/prefix_hash.h"

#include <xxhash.h>

#include "tokenfab/base/check.h"

namespace tokenfab::routing {

std::vector<uint64_t> HashTextChunks(std::string_view text, size_t chunk_bytes, uint64_t seed) {
  TF_CHECK(chunk_bytes > 0);
  std::vector<uint64_t> hashes;
  hashes.reserve(text.size() / chunk_bytes);
  uint64_t previous = seed;
  for (size_t at = 0; at + chunk_bytes <= text.size(); at += chunk_bytes) {
    previous = XXH3_64bits_withSeed(text.data() + at, chunk_bytes, previous);
    hashes.push_back(previous);
  }
  return hashes;
}

}  // namespace tokenfab::routing
