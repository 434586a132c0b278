#include "tokenfab/engine/kv_block_manager.h"

#include <algorithm>
#include <map>
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

std::vector<BlockId> Table(const KvBlockManager& kv, SeqId seq) {
  const auto t = kv.BlockTable(seq);
  return {t.begin(), t.end()};
}

KvBlockManagerConfig Config(int blocks, int block_size, bool caching = true) {
  KvBlockManagerConfig c;
  c.num_blocks = blocks;
  c.block_size = block_size;
  c.enable_prefix_caching = caching;
  return c;
}

TEST(KvBlockManagerTest, AdmitAndGrowAllocateWholeBlocks) {
  KvBlockManager kv(Config(8, 4));
  EXPECT_EQ(kv.num_free_blocks(), 8);
  const KvAdmission a = kv.Admit(1, 0, Range(6));
  EXPECT_TRUE(a.admitted);
  EXPECT_EQ(a.blocks_needed, 2);
  EXPECT_EQ(a.cached_tokens, 0);
  EXPECT_EQ(Table(kv, 1), (std::vector<BlockId>{0, 1}));
  EXPECT_TRUE(kv.Grow(1, 8));  // still two blocks
  EXPECT_EQ(kv.num_used_blocks(), 2);
  EXPECT_TRUE(kv.Grow(1, 9));  // a third
  EXPECT_EQ(Table(kv, 1), (std::vector<BlockId>{0, 1, 2}));
  EXPECT_EQ(kv.num_free_blocks(), 5);
  EXPECT_DOUBLE_EQ(kv.Usage(), 3.0 / 8.0);
  kv.CheckInvariants();
}

TEST(KvBlockManagerTest, AFullPoolRefusesWithoutChangingAnything) {
  KvBlockManager kv(Config(4, 4));
  ASSERT_TRUE(kv.Admit(1, 0, Range(12)).admitted);  // 3 blocks
  const KvAdmission b = kv.Admit(2, 0, Range(8, 100));
  EXPECT_FALSE(b.admitted);
  EXPECT_EQ(b.blocks_needed, 2);
  EXPECT_FALSE(kv.Contains(2));
  EXPECT_FALSE(kv.Grow(1, 20));  // needs 2 more, 1 available
  EXPECT_EQ(kv.BlockTable(1).size(), 3u);
  EXPECT_EQ(kv.num_free_blocks(), 1);
  // The reserve: admission must leave `keep_available` blocks.
  EXPECT_FALSE(kv.Admit(3, 0, Range(4, 200), /*keep_available=*/1).admitted);
  EXPECT_TRUE(kv.Admit(3, 0, Range(4, 200), /*keep_available=*/0).admitted);
  kv.CheckInvariants();
}

TEST(KvBlockManagerTest, SharesCachedPrefixBlocksByReference) {
  KvBlockManager kv(Config(10, 4));
  const std::vector<Token> prompt = Range(13);
  ASSERT_TRUE(kv.Admit(1, 0, prompt).admitted);  // 4 blocks
  kv.Commit(1, prompt, 13);                      // blocks 0..2 full and computed
  EXPECT_EQ(kv.prefix_cache().num_cached_blocks(), 3);

  std::vector<Token> other = Range(12);
  other.push_back(999);
  other.push_back(998);
  const KvAdmission b = kv.Admit(2, 0, other);
  ASSERT_TRUE(b.admitted);
  EXPECT_EQ(b.cached_tokens, 12);
  EXPECT_EQ(b.blocks_needed, 1);  // only the last block is new
  const auto t1 = Table(kv, 1);
  const auto t2 = Table(kv, 2);
  EXPECT_EQ(std::vector<BlockId>(t2.begin(), t2.begin() + 3),
            std::vector<BlockId>(t1.begin(), t1.begin() + 3));
  EXPECT_NE(t2[3], t1[3]);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(kv.RefCount(t1[i]), 2);
  EXPECT_EQ(kv.NumExclusiveBlocks(2), 1);
  EXPECT_EQ(kv.num_used_blocks(), 5);

  kv.Free(1);  // shared blocks stay in use by 2
  for (int i = 0; i < 3; ++i) EXPECT_EQ(kv.RefCount(t1[i]), 1);
  EXPECT_EQ(kv.num_used_blocks(), 4);
  kv.Free(2);  // cached blocks become evictable, the others free
  EXPECT_EQ(kv.num_used_blocks(), 0);
  EXPECT_EQ(kv.num_evictable_blocks(), 3);
  EXPECT_EQ(kv.num_free_blocks(), 7);
  EXPECT_EQ(kv.prefix_cache().stats().hit_tokens, 12);
  kv.CheckInvariants();
}

TEST(KvBlockManagerTest, AlwaysLeavesTheLastTokenToCompute) {
  KvBlockManager kv(Config(8, 4));
  const std::vector<Token> prompt = Range(12);
  ASSERT_TRUE(kv.Admit(1, 0, prompt).admitted);
  kv.Commit(1, prompt, 12);
  kv.Free(1);
  // The same 12 tokens again: three blocks are cached, but the third holds the last token.
  const KvAdmission again = kv.Admit(2, 0, prompt);
  EXPECT_EQ(again.cached_tokens, 8);
  kv.CheckInvariants();
}

TEST(KvBlockManagerTest, TenantSaltIsolatesCaches) {
  KvBlockManager kv(Config(8, 4));
  const std::vector<Token> prompt = Range(9);
  ASSERT_TRUE(kv.Admit(1, TenantSalt("acme"), prompt).admitted);
  kv.Commit(1, prompt, 9);
  EXPECT_EQ(kv.Admit(2, TenantSalt("globex"), prompt).cached_tokens, 0);
  EXPECT_EQ(kv.Admit(3, TenantSalt("acme"), prompt).cached_tokens, 8);
  kv.CheckInvariants();
}

TEST(KvBlockManagerTest, EvictsTheEndOfOlderSequencesFirst) {
  KvBlockManager kv(Config(4, 2));
  const std::vector<Token> a = Range(4, 0);
  const std::vector<Token> b = Range(4, 10);
  ASSERT_TRUE(kv.Admit(1, 0, a).admitted);  // blocks 0, 1
  ASSERT_TRUE(kv.Admit(2, 0, b).admitted);  // blocks 2, 3
  kv.Commit(1, a, 4);
  kv.Commit(2, b, 4);
  kv.Free(1);
  kv.Free(2);
  // Released last block first: a's tail, a's head, b's tail, b's head.
  EXPECT_EQ(kv.prefix_cache().EvictionOrder(), (std::vector<BlockId>{1, 0, 3, 2}));
  EXPECT_EQ(kv.num_free_blocks(), 0);
  // Reusing b's prefix revives block 2; a new 2-block sequence then evicts 1 and 0.
  std::vector<Token> b_more = Range(3, 10);
  EXPECT_EQ(kv.Admit(3, 0, b_more).cached_tokens, 2);
  EXPECT_EQ(Table(kv, 3), (std::vector<BlockId>{2, 1}));
  EXPECT_EQ(kv.prefix_cache().EvictionOrder(), (std::vector<BlockId>{0, 3}));
  ASSERT_TRUE(kv.Admit(4, 0, Range(1, 50)).admitted);
  EXPECT_EQ(Table(kv, 4), (std::vector<BlockId>{0}));
  EXPECT_EQ(kv.prefix_cache().stats().evicted_blocks, 2);
  kv.CheckInvariants();
}

TEST(KvBlockManagerTest, DuplicateBlocksStayPrivate) {
  KvBlockManager kv(Config(8, 4));
  const std::vector<Token> prompt = Range(9);
  // Both admitted before either computed: no hit, both compute the same blocks.
  ASSERT_TRUE(kv.Admit(1, 0, prompt).admitted);
  ASSERT_TRUE(kv.Admit(2, 0, prompt).admitted);
  kv.Commit(1, prompt, 9);
  kv.Commit(2, prompt, 9);
  EXPECT_EQ(kv.prefix_cache().num_cached_blocks(), 2);
  kv.Free(2);
  EXPECT_EQ(kv.num_evictable_blocks(), 0) << "the duplicates were never cached";
  kv.Free(1);
  EXPECT_EQ(kv.num_evictable_blocks(), 2);
  kv.CheckInvariants();
}

TEST(KvBlockManagerTest, WithoutPrefixCachingNothingIsShared) {
  KvBlockManager kv(Config(8, 4, /*caching=*/false));
  const std::vector<Token> prompt = Range(9);
  ASSERT_TRUE(kv.Admit(1, 0, prompt).admitted);
  kv.Commit(1, prompt, 9);
  kv.Free(1);
  EXPECT_EQ(kv.num_free_blocks(), 8);
  EXPECT_EQ(kv.Admit(2, 0, prompt).cached_tokens, 0);
  EXPECT_EQ(kv.prefix_cache().stats().queries, 0);
  kv.CheckInvariants();
}

// Random admit/grow/commit/free against a pool much smaller than the demand; the accounting is
// audited after every operation.
TEST(KvBlockManagerTest, RandomOperationsKeepExactAccounting) {
  base::Random rng(1234);
  KvBlockManager kv(Config(32, 4));
  struct Seq {
    std::vector<Token> tokens;
    int computed = 0;
  };
  std::map<SeqId, Seq> live;
  SeqId next = 1;
  for (int op = 0; op < 10000; ++op) {
    const uint64_t kind = rng.Below(10);
    if (kind < 4 || live.empty()) {
      // Prompts from a few shared stems so prefixes repeat.
      Seq s;
      const int stem = static_cast<int>(rng.Below(3));
      const int len = 1 + static_cast<int>(rng.Below(20));
      for (int i = 0; i < len; ++i)
        s.tokens.push_back(i < 8 ? stem * 100 + i : 1000 + int(rng.Below(5)));
      const uint64_t salt = rng.Below(2);
      const KvAdmission a = kv.Admit(next, salt, s.tokens);
      if (a.admitted) {
        s.computed = a.cached_tokens;
        live.emplace(next, std::move(s));
      }
      ++next;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng.Below(live.size())));
      Seq& s = it->second;
      if (kind < 7) {
        // Compute what is left and append a token, like a step.
        s.computed = static_cast<int>(s.tokens.size());
        kv.Commit(it->first, s.tokens, s.computed);
        s.tokens.push_back(static_cast<Token>(rng.Below(50)));
        if (!kv.Grow(it->first, static_cast<int>(s.tokens.size()))) {
          kv.Free(it->first);
          live.erase(it);
        }
      } else {
        kv.Free(it->first);
        live.erase(it);
      }
    }
    kv.CheckInvariants();
  }
  for (const auto& [seq, s] : live) kv.Free(seq);
  kv.CheckInvariants();
  EXPECT_EQ(kv.num_used_blocks(), 0);
  EXPECT_EQ(kv.num_available_blocks(), 32);
  EXPECT_GT(kv.prefix_cache().stats().hit_tokens, 0);
  EXPECT_GT(kv.prefix_cache().stats().evicted_blocks, 0);
}

TEST(KvBlockManagerDeathTest, MisuseAborts) {
  EXPECT_DEATH(
      {
        KvBlockManager kv(Config(4, 4));
        kv.Free(9);
      },
      "has no KV blocks");
  EXPECT_DEATH(
      {
        KvBlockManager kv(Config(4, 4));
        (void)kv.Admit(1, 0, Range(3));
        (void)kv.Admit(1, 0, Range(3));
      },
      "already in the KV cache");
}

}  // namespace
}  // namespace tokenfab::engine
