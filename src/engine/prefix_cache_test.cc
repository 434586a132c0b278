#include "tokenfab/engine/prefix_cache.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/random.h"

namespace tokenfab::engine {
namespace {

std::vector<Token> Range(int n, int start = 0) {
  std::vector<Token> v;
  for (int i = 0; i < n; ++i) v.push_back(start + i);
  return v;
}

// Inserts the full blocks of `tokens` as blocks first_block, first_block + 1, ...
void InsertChain(PrefixCache& cache, const std::vector<Token>& tokens, uint64_t salt,
                 BlockId first_block) {
  const int bs = cache.block_size();
  const auto hashes = HashFullBlocks(tokens, bs, salt);
  for (size_t b = 0; b < hashes.size(); ++b) {
    const BlockHash parent = b == 0 ? kRootBlockHash : hashes[b - 1];
    ASSERT_TRUE(cache.Insert(first_block + static_cast<BlockId>(b), hashes[b], parent, salt,
                             std::span<const Token>(tokens).subspan(b * bs, bs)));
  }
}

TEST(PrefixCacheTest, MatchesTheLongestCachedPrefix) {
  PrefixCache cache(8, 4);
  InsertChain(cache, Range(12), 0, /*first_block=*/2);  // blocks 2, 3, 4
  EXPECT_EQ(cache.num_cached_blocks(), 3);

  // Same first 8 tokens, different third block.
  std::vector<Token> query = Range(12);
  query[9] = 500;
  std::vector<BlockId> blocks;
  EXPECT_EQ(cache.Match(0, HashFullBlocks(query, 4, 0), query, &blocks), 2);
  EXPECT_EQ(blocks, (std::vector<BlockId>{2, 3}));

  blocks.clear();
  const auto full = Range(12);
  EXPECT_EQ(cache.Match(0, HashFullBlocks(full, 4, 0), full, &blocks), 3);

  // Another tenant's salt: nothing.
  blocks.clear();
  EXPECT_EQ(cache.Match(77, HashFullBlocks(full, 4, 77), full, &blocks), 0);
  EXPECT_TRUE(blocks.empty());
  cache.CheckInvariants();
}

TEST(PrefixCacheTest, AHashCollisionIsAMissNotAWrongReuse) {
  PrefixCache cache(4, 4);
  const std::vector<Token> cached = Range(4);
  const BlockHash h = HashBlock(kRootBlockHash, 0, cached);
  ASSERT_TRUE(cache.Insert(0, h, kRootBlockHash, 0, cached));
  // A query whose (forged) hash collides with the cached block but whose tokens differ.
  const std::vector<Token> other = Range(4, 100);
  std::vector<BlockId> blocks;
  EXPECT_EQ(cache.Match(0, std::vector<BlockHash>{h}, other, &blocks), 0);
  // Same hash and tokens but another salt (a forged probe across tenants): a miss too.
  EXPECT_EQ(cache.Match(5, std::vector<BlockHash>{h}, cached, &blocks), 0);
}

TEST(PrefixCacheTest, ACollidingKeyAfterARealHitIsAMiss) {
  // The cache keeps no tokens; its check hash must still tell a colliding second block apart,
  // whether its tokens or its parent differ from the cached block's.
  PrefixCache cache(8, 4);
  InsertChain(cache, Range(8), 0, /*first_block=*/0);        // blocks 0, 1: tokens 0..7
  InsertChain(cache, Range(4, 10), 0, /*first_block=*/2);    // block 2: tokens 10..13
  const BlockHash key1 = HashFullBlocks(Range(8), 4, 0)[1];  // block 1's key
  std::vector<BlockId> blocks;

  // Same parent (block 0, a real hit), other tokens, key forged to block 1's.
  const std::vector<Token> other_tokens = {0, 1, 2, 3, 9, 9, 9, 9};
  std::vector<BlockHash> hashes = HashFullBlocks(other_tokens, 4, 0);
  hashes[1] = key1;
  EXPECT_EQ(cache.Match(0, hashes, other_tokens, &blocks), 1);
  EXPECT_EQ(blocks, std::vector<BlockId>{0});

  // Block 1's very tokens, after another cached block (block 2), key forged to block 1's.
  const std::vector<Token> other_parent = {10, 11, 12, 13, 4, 5, 6, 7};
  hashes = HashFullBlocks(other_parent, 4, 0);
  hashes[1] = key1;
  blocks.clear();
  EXPECT_EQ(cache.Match(0, hashes, other_parent, &blocks), 1);
  EXPECT_EQ(blocks, std::vector<BlockId>{2});

  // The honest chain still hits both blocks.
  const std::vector<Token> same = Range(8);
  blocks.clear();
  EXPECT_EQ(cache.Match(0, HashFullBlocks(same, 4, 0), same, &blocks), 2);
  cache.CheckInvariants();
}

TEST(PrefixCacheTest, InsertingACachedHashAgainKeepsTheFirstBlock) {
  PrefixCache cache(4, 2);
  const std::vector<Token> t = {3, 4};
  const BlockHash h = HashBlock(kRootBlockHash, 0, t);
  EXPECT_TRUE(cache.Insert(1, h, kRootBlockHash, 0, t));
  EXPECT_FALSE(cache.Insert(2, h, kRootBlockHash, 0, t));
  EXPECT_TRUE(cache.IsCached(1));
  EXPECT_FALSE(cache.IsCached(2));
  EXPECT_EQ(cache.HashOf(1), h);
  EXPECT_EQ(cache.CachedHashes(), std::vector<BlockHash>{h});
}

TEST(PrefixCacheTest, EvictsLeastRecentlyUsedFirst) {
  PrefixCache cache(8, 1);
  for (BlockId b = 0; b < 4; ++b) {
    const std::vector<Token> t = {b};
    ASSERT_TRUE(cache.Insert(b, HashBlock(kRootBlockHash, 0, t), kRootBlockHash, 0, t));
  }
  cache.PushEvictable(2);
  cache.PushEvictable(0);
  cache.PushEvictable(3);
  cache.PushEvictable(1);
  EXPECT_EQ(cache.EvictionOrder(), (std::vector<BlockId>{2, 0, 3, 1}));
  cache.RemoveEvictable(0);  // reused by a sequence
  cache.PushEvictable(0);    // and released again: now the most recent
  EXPECT_EQ(cache.EvictionOrder(), (std::vector<BlockId>{2, 3, 1, 0}));
  EXPECT_EQ(cache.EvictLru(), 2);
  EXPECT_FALSE(cache.IsCached(2));
  EXPECT_EQ(cache.EvictLru(), 3);
  EXPECT_EQ(cache.num_evictable_blocks(), 2);
  EXPECT_EQ(cache.num_cached_blocks(), 2);
  EXPECT_EQ(cache.stats().evicted_blocks, 2);
  cache.CheckInvariants();
  EXPECT_EQ(cache.EvictLru(), 1);
  EXPECT_EQ(cache.EvictLru(), 0);
  EXPECT_EQ(cache.EvictLru(), kNoBlock);
  cache.CheckInvariants();
}

TEST(PrefixCacheTest, HitRateCountsTokens) {
  PrefixCache cache(2, 4);
  EXPECT_EQ(cache.stats().TokenHitRate(), 0.0);
  cache.RecordLookup(10, 8);
  cache.RecordLookup(10, 0);
  EXPECT_EQ(cache.stats().queries, 2);
  EXPECT_EQ(cache.stats().hits, 1);
  EXPECT_DOUBLE_EQ(cache.stats().TokenHitRate(), 0.4);
}

TEST(PrefixCacheTest, RecentHashesPutTheLastInsertedOrReusedFirst) {
  PrefixCache cache(8, 4);
  const auto a = HashFullBlocks(Range(8), 4, 0);       // blocks 0, 1
  const auto b = HashFullBlocks(Range(8, 100), 4, 0);  // blocks 2, 3
  InsertChain(cache, Range(8), 0, 0);
  InsertChain(cache, Range(8, 100), 0, 2);
  EXPECT_EQ(cache.RecentHashes(10), (std::vector<BlockHash>{b[1], b[0], a[1], a[0]}));
  // Reusing a's blocks makes them the most recent (together, in hash order).
  cache.Touch(std::vector<BlockId>{0, 1});
  const std::vector<BlockHash> recent = cache.RecentHashes(10);
  ASSERT_EQ(recent.size(), 4u);
  EXPECT_EQ(std::min(recent[0], recent[1]), std::min(a[0], a[1]));
  EXPECT_EQ(std::max(recent[0], recent[1]), std::max(a[0], a[1]));
  EXPECT_EQ(recent[2], b[1]);
  // Capped, and an evicted block is gone.
  EXPECT_EQ(cache.RecentHashes(1).size(), 1u);
  EXPECT_TRUE(cache.RecentHashes(0).empty());
  cache.PushEvictable(3);
  EXPECT_EQ(cache.EvictLru(), 3);
  EXPECT_EQ(cache.RecentHashes(10).size(), 3u);
  cache.CheckInvariants();
}

// The recency list against a brute-force model: every cached hash with the stamp of its last
// insertion or reuse, sorted by stamp (newest first) then hash, over random inserts, reuses,
// evictions and reference changes.
TEST(PrefixCacheTest, RecentHashesEqualABruteForceScanOverRandomOperations) {
  constexpr int kBlocks = 64;
  PrefixCache cache(kBlocks, 2);
  base::Random rng(7);
  std::map<BlockId, std::pair<uint64_t, BlockHash>> model;  // cached block -> (stamp, hash)
  uint64_t clock = 0;
  Token next_token = 0;
  for (int op = 0; op < 5000; ++op) {
    const BlockId b = static_cast<BlockId>(rng.Below(kBlocks));
    const uint64_t kind = rng.Below(4);
    if (kind == 0 && !cache.IsCached(b)) {
      const std::vector<Token> tokens = {next_token, next_token + 1};
      next_token += 2;
      const BlockHash hash = rng.NextU64();
      ASSERT_TRUE(cache.Insert(b, hash, kRootBlockHash, 0, tokens));
      model[b] = {++clock, hash};
    } else if (kind == 1 && !model.empty()) {
      std::vector<BlockId> touched;
      for (const auto& [block, entry] : model) {
        if (rng.Below(8) == 0) touched.push_back(block);
      }
      cache.Touch(touched);
      ++clock;
      for (BlockId t : touched) model[t].first = clock;
    } else if (kind == 2 && cache.IsCached(b) && !cache.IsEvictable(b)) {
      cache.PushEvictable(b);
    } else if (kind == 3 && cache.IsEvictable(b)) {
      if (rng.Below(2) == 0) {
        cache.RemoveEvictable(b);
      } else {
        const BlockId evicted = cache.EvictLru();
        model.erase(evicted);
      }
    }
    std::vector<std::pair<uint64_t, BlockHash>> scan;
    for (const auto& [block, entry] : model) scan.push_back(entry);
    std::sort(scan.begin(), scan.end(), [](const auto& x, const auto& y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    const int32_t max = static_cast<int32_t>(rng.Below(kBlocks + 4));
    std::vector<BlockHash> expected;
    for (size_t i = 0; i < scan.size() && static_cast<int32_t>(i) < max; ++i) {
      expected.push_back(scan[i].second);
    }
    ASSERT_EQ(cache.RecentHashes(max), expected) << "after operation " << op;
  }
  cache.CheckInvariants();
}

}  // namespace
}  // namespace tokenfab::engine
