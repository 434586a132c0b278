#include "tokenfab/engine/block_hash.h"

#include <algorithm>
#include <cstdint>
#include <string>

// The state struct on the stack needs the "static linking only" declarations.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {
namespace {

void PutLe64(uint64_t v, unsigned char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
}

// The seed of the check hash: any fixed value other than XXH3's default 0 ("check" in ASCII).
constexpr uint64_t kCheckSeed = 0x636865636bULL;

// XXH3-64 with `seed` over parent | salt | tokens, serialized as block_hash.h says.
uint64_t HashBlockBytes(BlockHash parent, uint64_t tenant_salt, std::span<const Token> tokens,
                        uint64_t seed) {
  TF_CHECK(!tokens.empty());
  // Serialized explicitly so the hash does not depend on the host's byte order. A block of up to
  // 256 tokens hashes from the stack; larger blocks are streamed in slices.
  constexpr size_t kSlice = 256;
  unsigned char buf[16 + 4 * kSlice];
  PutLe64(parent, buf);
  PutLe64(tenant_salt, buf + 8);
  auto put_tokens = [&](std::span<const Token> part, unsigned char* out) {
    for (size_t i = 0; i < part.size(); ++i) {
      const uint32_t v = static_cast<uint32_t>(part[i]);
      out[4 * i] = static_cast<unsigned char>(v);
      out[4 * i + 1] = static_cast<unsigned char>(v >> 8);
      out[4 * i + 2] = static_cast<unsigned char>(v >> 16);
      out[4 * i + 3] = static_cast<unsigned char>(v >> 24);
    }
  };
  if (tokens.size() <= kSlice) {
    put_tokens(tokens, buf + 16);
    return XXH3_64bits_withSeed(buf, 16 + 4 * tokens.size(), seed);
  }
  XXH3_state_t state;
  XXH3_64bits_reset_withSeed(&state, seed);
  XXH3_64bits_update(&state, buf, 16);
  for (size_t start = 0; start < tokens.size(); start += kSlice) {
    const auto part = tokens.subspan(start, std::min(kSlice, tokens.size() - start));
    put_tokens(part, buf);
    XXH3_64bits_update(&state, buf, 4 * part.size());
  }
  return XXH3_64bits_digest(&state);
}

}  // namespace

BlockHash HashBlock(BlockHash parent, uint64_t tenant_salt, std::span<const Token> tokens) {
  return HashBlockBytes(parent, tenant_salt, tokens, 0);
}

BlockCheck CheckBlock(BlockHash parent, uint64_t tenant_salt, std::span<const Token> tokens) {
  return static_cast<BlockCheck>(HashBlockBytes(parent, tenant_salt, tokens, kCheckSeed));
}

void ExtendBlockHashes(std::span<const Token> tokens, int32_t block_size, uint64_t tenant_salt,
                       int32_t max_blocks, std::vector<BlockHash>* hashes) {
  TF_CHECK(block_size >= 1);
  const size_t bs = static_cast<size_t>(block_size);
  const size_t limit = std::min(tokens.size() / bs, static_cast<size_t>(std::max(max_blocks, 0)));
  BlockHash parent = hashes->empty() ? kRootBlockHash : hashes->back();
  for (size_t b = hashes->size(); b < limit; ++b) {
    parent = HashBlock(parent, tenant_salt, tokens.subspan(b * bs, bs));
    hashes->push_back(parent);
  }
}

std::vector<BlockHash> HashFullBlocks(std::span<const Token> tokens, int32_t block_size,
                                      uint64_t tenant_salt) {
  std::vector<BlockHash> hashes;
  TF_CHECK(block_size >= 1);
  hashes.reserve(tokens.size() / static_cast<size_t>(block_size));
  ExtendBlockHashes(tokens, block_size, tenant_salt, INT32_MAX, &hashes);
  return hashes;
}

uint64_t TenantSalt(std::string_view tenant_id) {
  std::string input = "tokenfab-tenant:";
  input.append(tenant_id.data(), tenant_id.size());
  const uint64_t salt = XXH3_64bits(input.data(), input.size());
  return salt == 0 ? 1 : salt;
}

}  // namespace tokenfab::engine
