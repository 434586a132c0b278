// KvBlockManager: the paged KV cache's bookkeeping. The pool is `num_blocks` blocks of
// `block_size` token slots; each sequence owns a block table (its logical blocks, in order, as
// pool block ids), so no sequence needs a contiguous buffer and a fragmented pool still serves
// any request. Blocks carry reference counts: full blocks found in the prefix cache are shared
// by every sequence that starts with them, without copying. A sequence only ever writes its
// own last, not yet full, blocks, so shared blocks are never written (no copy-on-write).
//
// Every block is in exactly one of three sets, and free + evictable + used == num_blocks:
//   free       reference count 0, contents unknown (a LIFO stack)
//   evictable  reference count 0, contents cached in the prefix cache (LRU list there)
//   used       reference count >= 1, in at least one block table
// Allocation takes free blocks first, then evicts the least recently used evictable ones.
// Nothing is allocated per token: tables grow a block at a time.
//
// The manager holds only ids and counts; the K/V tensors live in the model runner's storage,
// indexed by block id (slot = block * block_size + position % block_size).
//
// Ownership: owns its PrefixCache. Not thread-safe: owned by one Scheduler.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/engine/block_hash.h"
#include "tokenfab/engine/prefix_cache.h"
#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::engine {

// A sequence in the KV cache; the scheduler uses the request id.
using SeqId = uint64_t;

struct KvBlockManagerConfig {
  int32_t num_blocks = 0;   // >= 1
  int32_t block_size = 16;  // tokens per block, >= 1
  bool enable_prefix_caching = true;
};

// What admitting a sequence costs, or cost it when it did not fit.
struct KvAdmission {
  bool admitted = false;
  int32_t cached_tokens = 0;  // leading tokens found in the prefix cache (multiple of block_size)
  // Available blocks the admission takes: new blocks plus cached blocks it revives from the
  // evictable list.
  int32_t blocks_needed = 0;
};

class KvBlockManager {
 public:
  // REQUIRES: config.num_blocks >= 1, config.block_size >= 1.
  explicit KvBlockManager(const KvBlockManagerConfig& config);
  KvBlockManager(const KvBlockManager&) = delete;
  KvBlockManager& operator=(const KvBlockManager&) = delete;

  int32_t num_blocks() const { return num_blocks_; }
  int32_t block_size() const { return block_size_; }
  bool prefix_caching() const { return prefix_caching_; }

  // Creates `seq`'s block table to hold all of `tokens`, reusing the longest cached prefix:
  // full blocks only, and never the whole sequence (at least its last token is left to
  // compute, so the step that computes it yields logits). Admits only when, afterwards, at
  // least `keep_available` blocks stay available; otherwise changes nothing and reports the
  // cost. Counts the lookup in the prefix-cache statistics when admitted.
  // REQUIRES: seq not in the manager; tokens non-empty.
  KvAdmission Admit(SeqId seq, uint64_t tenant_salt, std::span<const Token> tokens,
                    int32_t keep_available = 0);

  // Grows `seq`'s table to hold `num_tokens` slots. Returns false, changing nothing, when the
  // pool has too few available blocks. REQUIRES: seq in the manager.
  [[nodiscard]] bool Grow(SeqId seq, int32_t num_tokens);

  // Records that the K/V of `seq`'s first `num_computed` tokens are written: the full blocks
  // among them enter the prefix cache (unless their hash is cached already). `tokens` is the
  // sequence, at least num_computed long. REQUIRES: seq in the manager; num_computed within
  // its table.
  void Commit(SeqId seq, std::span<const Token> tokens, int32_t num_computed);

  // Drops `seq`'s table: each block loses a reference; a block left unreferenced becomes
  // evictable when cached, free otherwise. The table is released last block first, so among
  // them the end of a sequence is evicted before its beginning. REQUIRES: seq in the manager.
  void Free(SeqId seq);

  bool Contains(SeqId seq) const { return seqs_.contains(seq); }
  // The block ids of `seq`, logical order. Valid until the next non-const call.
  // REQUIRES: seq in the manager.
  std::span<const BlockId> BlockTable(SeqId seq) const;
  // Blocks of `seq` referenced by no other sequence: what freeing it would make available.
  int32_t NumExclusiveBlocks(SeqId seq) const;
  int32_t RefCount(BlockId block) const {
    return block < next_fresh_ ? ref_counts_[static_cast<size_t>(block)] : 0;
  }

  // Freed blocks plus those never handed out.
  int32_t num_free_blocks() const {
    return static_cast<int32_t>(free_.size()) + (num_blocks_ - next_fresh_);
  }
  int32_t num_evictable_blocks() const { return prefix_.num_evictable_blocks(); }
  int32_t num_used_blocks() const { return num_used_; }
  // Free plus evictable: what allocation can draw on.
  int32_t num_available_blocks() const { return num_free_blocks() + num_evictable_blocks(); }
  // Used blocks / all blocks, in [0, 1] (vLLM's kv_cache_usage_perc).
  double Usage() const;
  int32_t num_sequences() const { return static_cast<int32_t>(seqs_.size()); }
  // Blocks needed to hold `num_tokens` slots.
  int32_t BlocksFor(int32_t num_tokens) const;

  const PrefixCache& prefix_cache() const { return prefix_; }

  // Audits everything (O(blocks + table entries)), TF_CHECK on any mismatch: reference counts
  // equal the number of tables naming each block; free, evictable and used partition the pool;
  // the free stack has no duplicates and holds no cached block; the prefix cache is consistent.
  void CheckInvariants() const;

 private:
  struct SeqBlocks {
    std::vector<BlockId> table;
    std::vector<BlockHash> hashes;  // chained hashes of its full blocks, as far as computed
    uint64_t salt = 0;
    int32_t num_committed_blocks = 0;  // leading full blocks known to the prefix cache
  };

  BlockId AllocateBlock();
  void Acquire(BlockId block);
  void Release(BlockId block);
  SeqBlocks& Get(SeqId seq);
  const SeqBlocks& Get(SeqId seq) const;

  const int32_t num_blocks_;
  const int32_t block_size_;
  const bool prefix_caching_;
  // Per-block state grows with the blocks ever handed out, not with the pool: a twin of a
  // large fleet holds thousands of nodes whose pools are mostly never touched.
  std::vector<int32_t> ref_counts_;  // [next_fresh_]
  std::vector<BlockId> free_;        // stack of freed, uncached blocks, all < next_fresh_
  BlockId next_fresh_ = 0;           // the lowest id never handed out
  int32_t num_used_ = 0;
  PrefixCache prefix_;
  absl::flat_hash_map<SeqId, SeqBlocks> seqs_;
  std::vector<BlockId> scratch_blocks_;  // reused by Admit
};

}  // namespace tokenfab::engine
