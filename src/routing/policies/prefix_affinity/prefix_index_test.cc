#include "routing/policies/prefix_affinity/prefix_index.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

MATCHER_P2(IsMatch, upstream, blocks, "") {
  return arg.upstream == uint64_t(upstream) && arg.blocks == uint32_t(blocks);
}

std::vector<PrefixIndex::Match> MatchOf(const PrefixIndex& index, std::vector<uint64_t> chain) {
  std::vector<PrefixIndex::Match> out;
  index.MatchPrefix(chain, out);
  return out;
}

TEST(PrefixIndexTest, MatchesTheLongestPrefixSentToEachUpstream) {
  PrefixIndex index(100);
  index.Insert(std::vector<uint64_t>{1, 2, 3}, /*upstream=*/70);
  index.Insert(std::vector<uint64_t>{1, 2, 3, 4, 5}, 50);
  index.Insert(std::vector<uint64_t>{1, 9}, 60);
  EXPECT_EQ(index.entries(), 10u);
  EXPECT_THAT(MatchOf(index, {1, 2, 3, 4, 6}),
              ElementsAre(IsMatch(50, 4), IsMatch(60, 1), IsMatch(70, 3)));
  EXPECT_THAT(MatchOf(index, {1, 9, 2}),
              ElementsAre(IsMatch(50, 1), IsMatch(60, 2), IsMatch(70, 1)));
  // Another head: no match, whatever blocks follow (with chained hashes they differ anyway).
  EXPECT_THAT(MatchOf(index, {42, 2, 3}), IsEmpty());
  EXPECT_THAT(MatchOf(index, {}), IsEmpty());
}

TEST(PrefixIndexTest, ReinsertingRefreshesWithoutDuplicates) {
  PrefixIndex index(100);
  index.Insert(std::vector<uint64_t>{1, 2}, 5);
  index.Insert(std::vector<uint64_t>{1, 2}, 5);
  EXPECT_EQ(index.entries(), 2u);
}

TEST(PrefixIndexTest, EvictsLeastRecentlyUsedDeepBlocksFirst) {
  PrefixIndex index(5);
  index.Insert(std::vector<uint64_t>{1, 2, 3}, 7);  // oldest
  index.Insert(std::vector<uint64_t>{8, 9}, 7);
  EXPECT_EQ(index.entries(), 5u);
  index.Insert(std::vector<uint64_t>{20}, 7);  // one over: the deepest block of the oldest goes
  EXPECT_EQ(index.entries(), 5u);
  EXPECT_THAT(MatchOf(index, {1, 2, 3}), ElementsAre(IsMatch(7, 2)));
  // Touching the old prefix makes it recent; the next eviction takes 9, the deep end of {8, 9}.
  index.Insert(std::vector<uint64_t>{1, 2}, 7);
  index.Insert(std::vector<uint64_t>{21}, 7);
  EXPECT_THAT(MatchOf(index, {1, 2}), ElementsAre(IsMatch(7, 2)));
  EXPECT_THAT(MatchOf(index, {8, 9}), ElementsAre(IsMatch(7, 1)));
  EXPECT_THAT(MatchOf(index, {20}), ElementsAre(IsMatch(7, 1)));
}

TEST(PrefixIndexTest, AnUpstreamCanBeEvictedFromASharedBlock) {
  PrefixIndex index(3);
  index.Insert(std::vector<uint64_t>{1, 2}, 1);
  index.Insert(std::vector<uint64_t>{1}, 2);
  index.Insert(std::vector<uint64_t>{5}, 3);  // evicts (2, upstream 1)
  EXPECT_THAT(MatchOf(index, {1, 2}), ElementsAre(IsMatch(1, 1), IsMatch(2, 1)));
  index.Insert(std::vector<uint64_t>{6}, 3);  // evicts (1, upstream 1)
  EXPECT_THAT(MatchOf(index, {1, 2}), ElementsAre(IsMatch(2, 1)));
}

}  // namespace
}  // namespace tokenfab::routing
