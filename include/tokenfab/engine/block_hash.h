// Block hashes: the identity of a full KV block in the prefix cache, and the way a router hashes
// a prompt to ask which of its blocks a node has cached.
//
// A block of `block_size` tokens is named by a chained hash: XXH3-64 over the bytes
//   parent hash (8, little-endian) | tenant salt (8, little-endian) | token ids (4 each, LE)
// where the parent of the first block is kRootBlockHash. Equal hashes therefore mean equal
// tokens from the start of the sequence (up to collisions, which the prefix cache double-checks
// with a second, independent check hash of the same bytes), and the salt puts each tenant in its
// own namespace. The byte
// layout is fixed so that any process, on any machine, computes the same hashes.
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::engine {

using BlockHash = uint64_t;
// The check hash of a block: the low 32 bits of XXH3-64 seeded with a fixed non-zero seed over
// the same bytes as its BlockHash. Independent of the block hash, so two blocks with different
// contents (parent, salt or tokens) share both with probability about 2^-96.
using BlockCheck = uint32_t;

// The parent hash of a sequence's first block ("tokenfab" in ASCII).
inline constexpr BlockHash kRootBlockHash = 0x746f6b656e666162ULL;

// The hash of one block given its parent's hash. REQUIRES: tokens non-empty.
BlockHash HashBlock(BlockHash parent, uint64_t tenant_salt, std::span<const Token> tokens);

// The check hash of one block given its parent's hash. REQUIRES: tokens non-empty.
BlockCheck CheckBlock(BlockHash parent, uint64_t tenant_salt, std::span<const Token> tokens);

// Appends to `hashes` the chained hashes of the full blocks of `tokens` after the first
// hashes->size() ones (which must be this sequence's), stopping after `max_blocks` blocks in
// all or at the last full block. REQUIRES: block_size >= 1.
void ExtendBlockHashes(std::span<const Token> tokens, int32_t block_size, uint64_t tenant_salt,
                       int32_t max_blocks, std::vector<BlockHash>* hashes);

// The chained hashes of every full block of `tokens`: [tokens.size() / block_size]. What a
// router computes for a prompt before comparing with a node's PrefixCache::CachedHashes().
std::vector<BlockHash> HashFullBlocks(std::span<const Token> tokens, int32_t block_size,
                                      uint64_t tenant_salt);

// The salt for a tenant: XXH3-64 of "tokenfab-tenant:" + tenant id; never 0 (0 is the shared
// namespace).
uint64_t TenantSalt(std::string_view tenant_id);

}  // namespace tokenfab::engine
