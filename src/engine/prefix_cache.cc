#include "tokenfab/engine/prefix_cache.h"

#include <algorithm>
#include <utility>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {

double PrefixCacheStats::TokenHitRate() const {
  return query_tokens == 0 ? 0.0
                           : static_cast<double>(hit_tokens) / static_cast<double>(query_tokens);
}

PrefixCache::PrefixCache(int32_t num_blocks, int32_t block_size)
    : num_blocks_(num_blocks), block_size_(block_size) {
  TF_CHECK(num_blocks >= 1 && block_size >= 1);
}

int32_t PrefixCache::Match(uint64_t tenant_salt, std::span<const BlockHash> hashes,
                           std::span<const Token> tokens, std::vector<BlockId>* blocks) const {
  const size_t bs = static_cast<size_t>(block_size_);
  TF_CHECK(tokens.size() >= hashes.size() * bs);
  BlockHash parent = kRootBlockHash;
  int32_t matched = 0;
  for (size_t b = 0; b < hashes.size(); ++b) {
    const auto it = index_.find(hashes[b]);
    if (it == index_.end()) break;
    const BlockId block = it->second;
    if (entries_[block].check != CheckBlock(parent, tenant_salt, tokens.subspan(b * bs, bs))) {
      break;  // a hash collision: treat as a miss
    }
    blocks->push_back(block);
    parent = hashes[b];
    ++matched;
  }
  return matched;
}

bool PrefixCache::Insert(BlockId block, BlockHash hash, BlockHash parent, uint64_t tenant_salt,
                         std::span<const Token> tokens) {
  TF_CHECK(block >= 0 && block < num_blocks_);
  TF_CHECK(!IsCached(block)) << "block " << block << " is already cached";
  TF_CHECK_EQ(tokens.size(), static_cast<size_t>(block_size_));
  if (!index_.try_emplace(hash, block).second) return false;
  if (static_cast<size_t>(block) >= entries_.size()) {
    // Grown geometrically by resize, to the highest block id ever cached.
    entries_.resize(static_cast<size_t>(block) + 1);
  }
  Entry& e = entries_[block];
  e.hash = hash;
  e.check = CheckBlock(parent, tenant_salt, tokens);
  e.cached = true;
  PushRecent(block);
  ++stats_.inserted_blocks;
  return true;
}

BlockHash PrefixCache::HashOf(BlockId block) const {
  TF_CHECK(IsCached(block)) << "block " << block << " is not cached";
  return entries_[block].hash;
}

void PrefixCache::PushEvictable(BlockId block) {
  TF_CHECK(IsCached(block) && !IsEvictable(block))
      << "block " << block << " cannot become evictable";
  Entry& e = entries_[block];
  e.evictable = true;
  e.lru_prev = lru_tail_;
  e.lru_next = kNoBlock;
  if (lru_tail_ != kNoBlock) {
    entries_[lru_tail_].lru_next = block;
  } else {
    lru_head_ = block;
  }
  lru_tail_ = block;
  ++num_evictable_;
}

void PrefixCache::Unlink(BlockId block) {
  Entry& e = entries_[block];
  if (e.lru_prev != kNoBlock) {
    entries_[e.lru_prev].lru_next = e.lru_next;
  } else {
    lru_head_ = e.lru_next;
  }
  if (e.lru_next != kNoBlock) {
    entries_[e.lru_next].lru_prev = e.lru_prev;
  } else {
    lru_tail_ = e.lru_prev;
  }
  e.lru_prev = e.lru_next = kNoBlock;
  e.evictable = false;
  --num_evictable_;
}

void PrefixCache::RemoveEvictable(BlockId block) {
  TF_CHECK(IsEvictable(block)) << "block " << block << " is not evictable";
  Unlink(block);
}

BlockId PrefixCache::EvictLru() {
  const BlockId block = lru_head_;
  if (block == kNoBlock) return kNoBlock;
  Unlink(block);
  Entry& e = entries_[block];
  index_.erase(e.hash);
  UnlinkRecent(block);
  e.cached = false;
  ++stats_.evicted_blocks;
  return block;
}

std::vector<BlockHash> PrefixCache::CachedHashes() const {
  std::vector<BlockHash> hashes;
  hashes.reserve(index_.size());
  for (const auto& [hash, block] : index_) hashes.push_back(hash);
  return hashes;
}

void PrefixCache::PushRecent(BlockId block) {
  Entry& e = entries_[block];
  e.recent_prev = kNoBlock;
  e.recent_next = recent_head_;
  if (recent_head_ != kNoBlock) entries_[recent_head_].recent_prev = block;
  recent_head_ = block;
}

void PrefixCache::UnlinkRecent(BlockId block) {
  Entry& e = entries_[block];
  if (e.recent_prev != kNoBlock) {
    entries_[e.recent_prev].recent_next = e.recent_next;
  } else {
    recent_head_ = e.recent_next;
  }
  if (e.recent_next != kNoBlock) entries_[e.recent_next].recent_prev = e.recent_prev;
  e.recent_prev = e.recent_next = kNoBlock;
}

void PrefixCache::Touch(std::span<const BlockId> blocks) {
  // The blocks become the most recent, together: in hash order, the lowest hash first.
  touched_.assign(blocks.begin(), blocks.end());
  for (BlockId b : touched_) TF_CHECK(IsCached(b)) << "block " << b << " is not cached";
  std::sort(touched_.begin(), touched_.end(),
            [this](BlockId a, BlockId b) { return entries_[a].hash > entries_[b].hash; });
  touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
  for (BlockId b : touched_) {
    UnlinkRecent(b);
    PushRecent(b);
  }
}

std::vector<BlockHash> PrefixCache::RecentHashes(int32_t max) const {
  std::vector<BlockHash> hashes;
  hashes.reserve(static_cast<size_t>(std::clamp(max, 0, num_cached_blocks())));
  for (BlockId b = recent_head_; b != kNoBlock && std::ssize(hashes) < max;
       b = entries_[b].recent_next) {
    hashes.push_back(entries_[b].hash);
  }
  return hashes;
}

std::vector<BlockId> PrefixCache::EvictionOrder() const {
  std::vector<BlockId> order;
  for (BlockId b = lru_head_; b != kNoBlock; b = entries_[b].lru_next) order.push_back(b);
  return order;
}

void PrefixCache::RecordLookup(int32_t query_tokens, int32_t hit_tokens) {
  TF_CHECK(hit_tokens >= 0 && hit_tokens <= query_tokens);
  ++stats_.queries;
  if (hit_tokens > 0) ++stats_.hits;
  stats_.query_tokens += query_tokens;
  stats_.hit_tokens += hit_tokens;
}

void PrefixCache::CheckInvariants() const {
  int32_t cached = 0;
  int32_t evictable = 0;
  for (BlockId b = 0; b < static_cast<BlockId>(entries_.size()); ++b) {
    const Entry& e = entries_[b];
    TF_CHECK(!e.evictable || e.cached) << "block " << b << " evictable but not cached";
    if (e.cached) {
      ++cached;
      const auto it = index_.find(e.hash);
      TF_CHECK(it != index_.end() && it->second == b) << "block " << b << " missing from index";
    }
    if (e.evictable) ++evictable;
  }
  TF_CHECK_EQ(cached, num_cached_blocks());
  TF_CHECK_EQ(evictable, num_evictable_);
  int32_t walked = 0;
  BlockId prev = kNoBlock;
  for (BlockId b = lru_head_; b != kNoBlock; b = entries_[b].lru_next) {
    TF_CHECK(entries_[b].evictable) << "block " << b << " on the LRU list but not evictable";
    TF_CHECK_EQ(entries_[b].lru_prev, prev);
    prev = b;
    TF_CHECK(++walked <= num_evictable_) << "LRU list longer than its count (a cycle?)";
  }
  TF_CHECK_EQ(prev, lru_tail_);
  TF_CHECK_EQ(walked, num_evictable_);
  int32_t recent = 0;
  prev = kNoBlock;
  for (BlockId b = recent_head_; b != kNoBlock; b = entries_[b].recent_next) {
    TF_CHECK(entries_[b].cached) << "block " << b << " on the recency list but not cached";
    TF_CHECK_EQ(entries_[b].recent_prev, prev);
    prev = b;
    TF_CHECK(++recent <= num_cached_blocks()) << "recency list longer than the cache (a cycle?)";
  }
  TF_CHECK_EQ(recent, num_cached_blocks());
}

}  // namespace tokenfab::engine
