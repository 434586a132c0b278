#include "routing/policies/kv_aware/kv_aware.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAreArray;
using testing::Loaded;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

fleet::UpstreamState Caching(std::vector<uint64_t> blocks, int32_t running = 0) {
  fleet::UpstreamState state = Loaded(running);
  state.cached_blocks = std::make_shared<const fleet::BlockHashSet>(std::move(blocks));
  return state;
}

struct Row {
  std::string name;
  std::vector<fleet::UpstreamState> states;  // hub-1, coast-1, edge-1
  std::vector<std::string> expected;
};

TEST(KvAwareTest, RanksByTheLongestReportedCachedPrefix) {
  auto config = ThreeSiteFleet();
  const std::vector<uint64_t> chain = {101, 102, 103, 104};
  const Row rows[] = {
      {"longest prefix first",
       {Caching({101, 102}), Caching({101, 102, 103, 104}), Caching({})},
       {"coast-1", "hub-1", "edge-1"}},
      {"a cached tail without its head is no use",
       {Caching({101, 102}, 3), Caching({102, 103, 104}), Loaded(0)},
       {"hub-1", "coast-1", "edge-1"}},
      {"a shared first block is below the threshold: by load",
       {Caching({101}, 3), Caching({101}, 1), Caching({}, 2)},
       {"coast-1", "edge-1", "hub-1"}},
      {"imbalanced (40 vs 2): shortest queue",
       {Caching({}, 2), Caching({101, 102, 103, 104}, 40), Caching({}, 5)},
       {"hub-1", "edge-1", "coast-1"}},
      {"no reports: the tie-break goes by load",
       {Loaded(3), Loaded(1), Loaded(2)},
       {"coast-1", "edge-1", "hub-1"}},
      {"equal prefixes: the less loaded",
       {Caching({101, 102}, 5), Caching({101, 102}, 1), Caching({101}, 0)},
       {"coast-1", "hub-1", "edge-1"}},
  };
  auto policy = MakePolicy("kv-aware");
  RoutingRequest request;
  request.model = "m";
  request.block_hashes = chain;
  for (const Row& row : rows) {
    EXPECT_THAT(Ranking(policy->Rank(request, *MakeSnapshot(config, row.states)), *config),
                ElementsAreArray(row.expected))
        << row.name;
  }
}

TEST(KvAwareTest, ScoreIsTheCachedShareAndExplainSaysIt) {
  auto config = ThreeSiteFleet();
  auto snapshot = MakeSnapshot(config, {Caching({1, 2, 3}), Caching({1}), Loaded(0)});
  const std::vector<uint64_t> chain = {1, 2, 3, 4};
  RoutingRequest request;
  request.block_hashes = chain;
  KvAwareScorer scorer{KvAwareOptions{}};
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}};
  EXPECT_THAT(testing::ScoreWith(scorer, request, *snapshot, candidates),
              ElementsAreArray({0.75, 0.25, 0.0}));
  EXPECT_EQ(testing::ExplainWith(scorer, request, *snapshot, candidates, 0), "3/4 blocks cached");
  request.block_hashes = {};
  EXPECT_THAT(testing::ScoreWith(scorer, request, *snapshot, candidates),
              ElementsAreArray({0.0, 0.0, 0.0}));
}

}  // namespace
}  // namespace tokenfab::routing
