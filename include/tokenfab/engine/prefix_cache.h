// PrefixCache: the index of full KV blocks whose contents are known, by chained block hash
// (block_hash.h), so a new sequence that starts with the same tokens (same tenant) reuses them
// instead of recomputing. It also keeps the cached blocks that no sequence references in
// least-recently-used order, to be evicted when the pool needs blocks, and the hit statistics.
//
// It decides nothing about reference counts or allocation: the KvBlockManager owns the blocks
// and tells the cache when a cached block loses its last reference (PushEvictable), gains one
// again (RemoveEvictable), or must be reclaimed (EvictLru).
//
// Collisions: every cached block keeps, besides its 64-bit chained hash (the index key), a
// 32-bit check hash (block_hash.h's CheckBlock) of the same bytes (parent hash, tenant salt,
// tokens) under an independent seed, and Match() recomputes it from the query's parent, salt and
// tokens. A block whose key collides but whose parent, salt or tokens differ is a miss unless
// the check collides too: about 2^-96 for a pair of blocks. The cache keeps no tokens, so a
// cached block costs 32 bytes here plus its index slot, whatever the block size (a twin of the
// hub holds hundreds of millions of them).
//
// Not thread-safe; owned by one KvBlockManager.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/engine/block_hash.h"
#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::engine {

// Index of a block in the KV pool, [0, num_blocks).
using BlockId = int32_t;
inline constexpr BlockId kNoBlock = -1;

struct PrefixCacheStats {
  int64_t queries = 0;       // admissions that looked the cache up
  int64_t hits = 0;          // of those, how many reused at least one block
  int64_t query_tokens = 0;  // tokens those admissions asked for
  int64_t hit_tokens = 0;    // tokens they found cached
  int64_t inserted_blocks = 0;
  int64_t evicted_blocks = 0;
  // hit_tokens / query_tokens (vLLM's prefix cache hit rate); 0 before any query.
  double TokenHitRate() const;
};

class PrefixCache {
 public:
  // REQUIRES: num_blocks >= 1, block_size >= 1.
  PrefixCache(int32_t num_blocks, int32_t block_size);
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  int32_t block_size() const { return block_size_; }

  // How many leading blocks of a sequence are cached: walks `hashes` (its chained block hashes,
  // from the first block) while each is cached with the same check hash of salt, parent and
  // tokens, and
  // appends the blocks found to `blocks`. `tokens` holds at least hashes.size() full blocks.
  int32_t Match(uint64_t tenant_salt, std::span<const BlockHash> hashes,
                std::span<const Token> tokens, std::vector<BlockId>* blocks) const;

  // Registers `block` as the cached copy of the full block named `hash`. Returns false, and
  // changes nothing, when another block already holds that hash (the caller's block stays
  // uncached). REQUIRES: block not cached; tokens.size() == block_size.
  bool Insert(BlockId block, BlockHash hash, BlockHash parent, uint64_t tenant_salt,
              std::span<const Token> tokens);

  bool IsCached(BlockId block) const {
    return static_cast<size_t>(block) < entries_.size() && entries_[block].cached;
  }
  // REQUIRES: IsCached(block).
  BlockHash HashOf(BlockId block) const;

  // The least-recently-used list of cached blocks that no sequence references.
  // PushEvictable: the block lost its last reference; it becomes the most recently used.
  // REQUIRES: cached and not evictable.
  void PushEvictable(BlockId block);
  // RemoveEvictable: a sequence references the block again. REQUIRES: evictable.
  void RemoveEvictable(BlockId block);
  bool IsEvictable(BlockId block) const {
    return static_cast<size_t>(block) < entries_.size() && entries_[block].evictable;
  }
  // Drops the least recently used evictable block from the cache and returns it (now uncached),
  // or kNoBlock when none is evictable.
  BlockId EvictLru();

  int32_t num_cached_blocks() const { return static_cast<int32_t>(index_.size()); }
  int32_t num_evictable_blocks() const { return num_evictable_; }

  // The hashes of every cached block (referenced or evictable), in no particular order: what a
  // node reports so a router can send a prompt where its prefix is cached. A router compares
  // them with HashFullBlocks(prompt, block_size(), salt).
  std::vector<BlockHash> CachedHashes() const;
  // Marks cached blocks as just used (a sequence reused them), for RecentHashes().
  void Touch(std::span<const BlockId> blocks);
  // The hashes of up to `max` cached blocks, most recently used (inserted or reused) first;
  // blocks reused by one Touch() in hash order: what a node reports to routers when it cannot
  // report them all. O(hashes returned): the cache keeps every cached block on a recency list.
  std::vector<BlockHash> RecentHashes(int32_t max) const;
  // The evictable blocks, least recently used first (tests and debugging).
  std::vector<BlockId> EvictionOrder() const;

  // Records one admission's lookup: `query_tokens` asked for, `hit_tokens` found.
  void RecordLookup(int32_t query_tokens, int32_t hit_tokens);
  const PrefixCacheStats& stats() const { return stats_; }

  // TF_CHECKs the index, the LRU list and the per-block records against each other (O(blocks)).
  void CheckInvariants() const;

 private:
  struct Entry {
    BlockHash hash = 0;
    BlockCheck check = 0;            // CheckBlock(parent, salt, tokens)
    BlockId lru_prev = kNoBlock;     // towards the least recently used end
    BlockId lru_next = kNoBlock;     // towards the most recently used end
    BlockId recent_prev = kNoBlock;  // towards the most recently used cached block
    BlockId recent_next = kNoBlock;  // towards the least recently used cached block
    bool cached = false;
    bool evictable = false;
  };
  // The per-block record a twin of the hub multiplies by hundreds of millions.
  static_assert(sizeof(Entry) == 32);

  void Unlink(BlockId block);
  // The recency list of every cached block, most recently inserted or reused first.
  void PushRecent(BlockId block);
  void UnlinkRecent(BlockId block);

  const int32_t num_blocks_;
  const int32_t block_size_;
  // Sized by the highest block id ever cached, not the pool (a twin holds thousands of pools).
  std::vector<Entry> entries_;                     // [highest cached id + 1]
  absl::flat_hash_map<BlockHash, BlockId> index_;  // cached blocks by hash
  BlockId lru_head_ = kNoBlock;                    // least recently used evictable block
  BlockId lru_tail_ = kNoBlock;                    // most recently used evictable block
  int32_t num_evictable_ = 0;
  BlockId recent_head_ = kNoBlock;  // most recently inserted or reused cached block
  std::vector<BlockId> touched_;    // Touch() scratch
  PrefixCacheStats stats_;
};

}  // namespace tokenfab::engine
