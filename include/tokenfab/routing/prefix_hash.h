// Chained hashes of prompt text, for prefix affinity when the gateway routes on text without
// tokenizing (RoutingRequest::text_chunk_hashes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tokenfab::routing {

inline constexpr size_t kDefaultTextChunkBytes = 64;

// XXH3 hashes of the full `chunk_bytes`-byte chunks of `text` (a partial last chunk is dropped),
// each seeded with the previous hash so that hash i stands for the whole prefix through chunk
// i. Two texts share a leading run of hashes exactly as far as they share whole chunks.
// REQUIRES: chunk_bytes > 0.
std::vector<uint64_t> HashTextChunks(std::string_view text,
                                     size_t chunk_bytes = kDefaultTextChunkBytes,
                                     uint64_t seed = 0);

}  // namespace tokenfab::routing
