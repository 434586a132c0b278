#include "tokenfab/engine/block_hash.h"

#include <vector>

#include <gtest/gtest.h>
#include <xxhash.h>

namespace tokenfab::engine {
namespace {

// The documented byte layout, written out independently of the implementation.
BlockHash ReferenceHash(uint64_t parent, uint64_t salt, const std::vector<Token>& tokens) {
  std::vector<unsigned char> bytes;
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(parent >> (8 * i)));
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<unsigned char>(salt >> (8 * i)));
  for (Token t : tokens) {
    const auto v = static_cast<uint32_t>(t);
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  return XXH3_64bits(bytes.data(), bytes.size());
}

std::vector<Token> Range(int n, int start = 0) {
  std::vector<Token> v;
  for (int i = 0; i < n; ++i) v.push_back(start + i);
  return v;
}

TEST(BlockHashTest, MatchesTheDocumentedByteLayout) {
  const std::vector<Token> tokens = {1, 128000, 70000, 5};
  EXPECT_EQ(HashBlock(kRootBlockHash, 0, tokens), ReferenceHash(kRootBlockHash, 0, tokens));
  EXPECT_EQ(HashBlock(42, 0xdeadbeef, tokens), ReferenceHash(42, 0xdeadbeef, tokens));
  // Blocks larger than the one-shot buffer go through the streaming path; same bytes.
  const std::vector<Token> big = Range(1000, 7);
  EXPECT_EQ(HashBlock(9, 3, big), ReferenceHash(9, 3, big));
}

TEST(BlockHashTest, TheCheckHashCoversParentSaltAndTokensUnderItsOwnSeed) {
  const std::vector<Token> tokens = Range(4);
  const BlockCheck check = CheckBlock(kRootBlockHash, 0, tokens);
  // Not the block hash truncated: an index-key collision must not imply a check collision.
  EXPECT_NE(check, static_cast<BlockCheck>(HashBlock(kRootBlockHash, 0, tokens)));
  EXPECT_NE(check, CheckBlock(kRootBlockHash + 1, 0, tokens));   // another parent
  EXPECT_NE(check, CheckBlock(kRootBlockHash, 7, tokens));       // another tenant
  EXPECT_NE(check, CheckBlock(kRootBlockHash, 0, Range(4, 1)));  // other tokens
  // The streaming path (blocks over 256 tokens) checks the same bytes as the one-shot one.
  const std::vector<Token> big = Range(1000, 7);
  EXPECT_NE(CheckBlock(9, 3, big), static_cast<BlockCheck>(HashBlock(9, 3, big)));
  std::vector<Token> big2 = big;
  big2.back() += 1;
  EXPECT_NE(CheckBlock(9, 3, big), CheckBlock(9, 3, big2));
}

TEST(BlockHashTest, ChainsFullBlocksOnly) {
  const std::vector<Token> tokens = Range(10);
  const std::vector<BlockHash> hashes = HashFullBlocks(tokens, 4, 0);
  ASSERT_EQ(hashes.size(), 2u);  // the partial third block has no hash
  EXPECT_EQ(hashes[0], HashBlock(kRootBlockHash, 0, Range(4)));
  EXPECT_EQ(hashes[1], HashBlock(hashes[0], 0, Range(4, 4)));
}

TEST(BlockHashTest, AHashNamesTheWholePrefix) {
  std::vector<Token> a = Range(12);
  std::vector<Token> b = a;
  b[1] = 99;  // differs in the first block only
  const auto ha = HashFullBlocks(a, 4, 0);
  const auto hb = HashFullBlocks(b, 4, 0);
  for (size_t i = 0; i < ha.size(); ++i) EXPECT_NE(ha[i], hb[i]) << "block " << i;
  // Same tokens, same hashes; a longer sequence extends the chain.
  std::vector<Token> longer = Range(16);
  const auto hl = HashFullBlocks(longer, 4, 0);
  ASSERT_EQ(hl.size(), 4u);
  EXPECT_EQ(std::vector<BlockHash>(hl.begin(), hl.begin() + 3), ha);
}

TEST(BlockHashTest, SaltSeparatesTenants) {
  const std::vector<Token> tokens = Range(8);
  EXPECT_NE(HashFullBlocks(tokens, 4, TenantSalt("acme")),
            HashFullBlocks(tokens, 4, TenantSalt("globex")));
  EXPECT_NE(HashFullBlocks(tokens, 4, TenantSalt("acme")), HashFullBlocks(tokens, 4, 0));
  EXPECT_EQ(TenantSalt("acme"), TenantSalt("acme"));
  EXPECT_NE(TenantSalt(""), 0u);
}

TEST(BlockHashTest, ExtendContinuesAnExistingChain) {
  const std::vector<Token> tokens = Range(20);
  std::vector<BlockHash> partial;
  ExtendBlockHashes(tokens, 4, 5, /*max_blocks=*/2, &partial);
  EXPECT_EQ(partial.size(), 2u);
  ExtendBlockHashes(tokens, 4, 5, /*max_blocks=*/100, &partial);
  EXPECT_EQ(partial, HashFullBlocks(tokens, 4, 5));
}

}  // namespace
}  // namespace tokenfab::engine
