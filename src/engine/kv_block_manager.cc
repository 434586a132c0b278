#include "tokenfab/engine/kv_block_manager.h"

#include <algorithm>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {

KvBlockManager::KvBlockManager(const KvBlockManagerConfig& config)
    : num_blocks_(config.num_blocks),
      block_size_(config.block_size),
      prefix_caching_(config.enable_prefix_caching),
      prefix_(std::max(config.num_blocks, 1), std::max(config.block_size, 1)) {
  TF_CHECK(num_blocks_ >= 1) << "a KV pool needs at least one block";
  TF_CHECK(block_size_ >= 1) << "a KV block needs at least one slot";
}

int32_t KvBlockManager::BlocksFor(int32_t num_tokens) const {
  return (num_tokens + block_size_ - 1) / block_size_;
}

double KvBlockManager::Usage() const {
  return static_cast<double>(num_used_) / static_cast<double>(num_blocks_);
}

KvBlockManager::SeqBlocks& KvBlockManager::Get(SeqId seq) {
  const auto it = seqs_.find(seq);
  TF_CHECK(it != seqs_.end()) << "sequence " << seq << " has no KV blocks";
  return it->second;
}

const KvBlockManager::SeqBlocks& KvBlockManager::Get(SeqId seq) const {
  const auto it = seqs_.find(seq);
  TF_CHECK(it != seqs_.end()) << "sequence " << seq << " has no KV blocks";
  return it->second;
}

BlockId KvBlockManager::AllocateBlock() {
  // Freed blocks first, last freed first, then never-used ids in ascending order: the order a
  // stack holding every id (0 on top) would give, without holding the ids nobody has used.
  BlockId block;
  if (!free_.empty()) {
    block = free_.back();
    free_.pop_back();
  } else if (next_fresh_ < num_blocks_) {
    block = next_fresh_++;
    ref_counts_.push_back(0);
  } else {
    block = prefix_.EvictLru();
    TF_CHECK(block != kNoBlock) << "KV pool exhausted: callers check availability first";
  }
  TF_CHECK_EQ(ref_counts_[block], 0);
  ref_counts_[block] = 1;
  ++num_used_;
  return block;
}

void KvBlockManager::Acquire(BlockId block) {
  if (ref_counts_[block] == 0) {
    prefix_.RemoveEvictable(block);
    ++num_used_;
  }
  ++ref_counts_[block];
}

void KvBlockManager::Release(BlockId block) {
  TF_CHECK(ref_counts_[block] > 0) << "block " << block << " released more than acquired";
  if (--ref_counts_[block] > 0) return;
  --num_used_;
  if (prefix_.IsCached(block)) {
    prefix_.PushEvictable(block);
  } else {
    free_.push_back(block);
  }
}

KvAdmission KvBlockManager::Admit(SeqId seq, uint64_t tenant_salt, std::span<const Token> tokens,
                                  int32_t keep_available) {
  TF_CHECK(!seqs_.contains(seq)) << "sequence " << seq << " is already in the KV cache";
  TF_CHECK(!tokens.empty());
  const int32_t num_tokens = static_cast<int32_t>(tokens.size());
  SeqBlocks entry;
  entry.salt = tenant_salt;
  scratch_blocks_.clear();
  int32_t matched = 0;
  if (prefix_caching_) {
    // Full blocks only, and never the last token: its logits must be computed.
    ExtendBlockHashes(tokens, block_size_, tenant_salt, (num_tokens - 1) / block_size_,
                      &entry.hashes);
    matched = prefix_.Match(tenant_salt, entry.hashes, tokens, &scratch_blocks_);
  }
  int32_t revived = 0;
  for (BlockId b : scratch_blocks_) revived += ref_counts_[b] == 0 ? 1 : 0;
  const int32_t new_blocks = BlocksFor(num_tokens) - matched;

  KvAdmission result;
  result.cached_tokens = matched * block_size_;
  result.blocks_needed = new_blocks + revived;
  if (result.blocks_needed + keep_available > num_available_blocks()) return result;

  // Revive the hits before allocating, so that allocation cannot evict them.
  for (BlockId b : scratch_blocks_) Acquire(b);
  if (!scratch_blocks_.empty()) prefix_.Touch(scratch_blocks_);
  entry.table.reserve(static_cast<size_t>(BlocksFor(num_tokens)));
  entry.table.assign(scratch_blocks_.begin(), scratch_blocks_.end());
  for (int32_t i = 0; i < new_blocks; ++i) entry.table.push_back(AllocateBlock());
  entry.num_committed_blocks = matched;
  if (prefix_caching_) prefix_.RecordLookup(num_tokens, result.cached_tokens);
  seqs_.emplace(seq, std::move(entry));
  result.admitted = true;
  return result;
}

bool KvBlockManager::Grow(SeqId seq, int32_t num_tokens) {
  SeqBlocks& entry = Get(seq);
  const int32_t missing = BlocksFor(num_tokens) - static_cast<int32_t>(entry.table.size());
  if (missing <= 0) return true;
  if (missing > num_available_blocks()) return false;
  for (int32_t i = 0; i < missing; ++i) entry.table.push_back(AllocateBlock());
  return true;
}

void KvBlockManager::Commit(SeqId seq, std::span<const Token> tokens, int32_t num_computed) {
  SeqBlocks& entry = Get(seq);
  TF_CHECK(num_computed >= 0 && static_cast<size_t>(num_computed) <= tokens.size() &&
           num_computed <= static_cast<int32_t>(entry.table.size()) * block_size_)
      << "sequence " << seq << ": " << num_computed << " computed tokens do not fit its table";
  if (!prefix_caching_) return;
  const int32_t full = num_computed / block_size_;
  if (full <= entry.num_committed_blocks) return;
  ExtendBlockHashes(tokens, block_size_, entry.salt, full, &entry.hashes);
  const size_t bs = static_cast<size_t>(block_size_);
  for (int32_t b = entry.num_committed_blocks; b < full; ++b) {
    const BlockId block = entry.table[b];
    if (prefix_.IsCached(block)) continue;
    const BlockHash parent = b == 0 ? kRootBlockHash : entry.hashes[b - 1];
    // A false return means another block already caches these tokens; this one stays private.
    (void)prefix_.Insert(block, entry.hashes[b], parent, entry.salt,
                         tokens.subspan(static_cast<size_t>(b) * bs, bs));
  }
  entry.num_committed_blocks = full;
}

void KvBlockManager::Free(SeqId seq) {
  const auto it = seqs_.find(seq);
  TF_CHECK(it != seqs_.end()) << "sequence " << seq << " has no KV blocks";
  const std::vector<BlockId>& table = it->second.table;
  for (auto b = table.rbegin(); b != table.rend(); ++b) Release(*b);
  seqs_.erase(it);
}

std::span<const BlockId> KvBlockManager::BlockTable(SeqId seq) const { return Get(seq).table; }

int32_t KvBlockManager::NumExclusiveBlocks(SeqId seq) const {
  int32_t n = 0;
  for (BlockId b : Get(seq).table) n += ref_counts_[b] == 1 ? 1 : 0;
  return n;
}

void KvBlockManager::CheckInvariants() const {
  std::vector<int32_t> refs(static_cast<size_t>(num_blocks_), 0);
  for (const auto& [seq, entry] : seqs_) {
    TF_CHECK(entry.num_committed_blocks <= static_cast<int32_t>(entry.table.size()))
        << "sequence " << seq << " committed more blocks than it holds";
    for (BlockId b : entry.table) {
      TF_CHECK(b >= 0 && b < num_blocks_) << "sequence " << seq << " holds block " << b;
      ++refs[b];
    }
  }
  TF_CHECK_EQ(static_cast<int32_t>(ref_counts_.size()), next_fresh_);
  std::vector<bool> in_free(static_cast<size_t>(num_blocks_), false);
  for (BlockId b = next_fresh_; b < num_blocks_; ++b) in_free[b] = true;  // never used
  for (BlockId b : free_) {
    TF_CHECK(b >= 0 && b < next_fresh_) << "free block " << b;
    TF_CHECK(!in_free[b]) << "block " << b << " twice on the free stack (double free)";
    in_free[b] = true;
  }
  int32_t used = 0;
  int32_t evictable = 0;
  for (BlockId b = 0; b < num_blocks_; ++b) {
    TF_CHECK_EQ(refs[b], RefCount(b)) << "reference count of block " << b;
    if (RefCount(b) > 0) {
      ++used;
      TF_CHECK(!in_free[b] && !prefix_.IsEvictable(b)) << "used block " << b << " also free";
    } else if (prefix_.IsCached(b)) {
      TF_CHECK(prefix_.IsEvictable(b) && !in_free[b]) << "cached block " << b << " misfiled";
      ++evictable;
    } else {
      TF_CHECK(in_free[b]) << "block " << b << " leaked: unreferenced, uncached, not free";
    }
  }
  TF_CHECK_EQ(used, num_used_);
  TF_CHECK_EQ(evictable, prefix_.num_evictable_blocks());
  TF_CHECK_EQ(num_free_blocks() + evictable + used, num_blocks_);
  prefix_.CheckInvariants();
}

}  // namespace tokenfab::engine
