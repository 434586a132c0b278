#include "routing/policies/prefix_affinity/prefix_affinity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"
#include "tokenfab/routing/prefix_hash.h"

namespace tokenfab::routing {
namespace {

using ::testing::ElementsAreArray;
using testing::Loaded;
using testing::MakeFleet;
using testing::MakePolicy;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

const std::vector<uint64_t> kChain = {1, 2, 3, 4};

RoutingRequest WithChain(std::span<const uint64_t> chain) {
  RoutingRequest request;
  request.model = "m";
  request.block_hashes = chain;
  return request;
}

struct Row {
  std::string name;
  std::vector<uint64_t> chain;               // the new request's blocks
  std::vector<fleet::UpstreamState> states;  // hub-1, coast-1, edge-1
  std::vector<std::string> expected;
};

// The index has seen kChain at the coast and {1, 2} at the edge.
TEST(PrefixAffinityTest, FollowsThePrefixUnlessBelowThresholdOrImbalanced) {
  auto config = ThreeSiteFleet();
  const Row rows[] = {
      {"full match beats lower load",
       kChain,
       {Loaded(0), Loaded(8), Loaded(4)},
       {"coast-1", "edge-1", "hub-1"}},
      {"partial match still ranks",
       {1, 2, 9, 9},
       {Loaded(0), Loaded(8), Loaded(4)},
       {"edge-1", "coast-1", "hub-1"}},  // edge and coast both 2/4: the less loaded first
      {"below the 50 % threshold: by load",
       {1, 7, 7, 7},
       {Loaded(2), Loaded(8), Loaded(4)},
       {"hub-1", "edge-1", "coast-1"}},
      {"new prefix: by load",
       {5, 6},
       {Loaded(2), Loaded(1), Loaded(4)},
       {"coast-1", "hub-1", "edge-1"}},
      {"imbalanced (40 vs 2): shortest queue",
       kChain,
       {Loaded(2), Loaded(40), Loaded(5)},
       {"hub-1", "edge-1", "coast-1"}},
      {"gap above 32 but under 1.5x: not imbalanced",
       kChain,
       {Loaded(100), Loaded(140), Loaded(110)},
       {"coast-1", "edge-1", "hub-1"}},
      {"1.5x but gap under 32: not imbalanced",
       kChain,
       {Loaded(1), Loaded(30), Loaded(5)},
       {"coast-1", "edge-1", "hub-1"}},
  };
  auto policy = MakePolicy("prefix-affinity");
  auto idle = MakeSnapshot(config, {});
  policy->OnRouted(WithChain(kChain), *idle, 1);
  const std::vector<uint64_t> edge_chain = {1, 2};
  policy->OnRouted(WithChain(edge_chain), *idle, 2);
  for (const Row& row : rows) {
    EXPECT_THAT(
        Ranking(policy->Rank(WithChain(row.chain), *MakeSnapshot(config, row.states)), *config),
        ElementsAreArray(row.expected))
        << row.name;
  }
}

TEST(PrefixAffinityTest, ExplainShowsTheMatchOrTheGate) {
  auto config = ThreeSiteFleet();
  PrefixAffinityScorer scorer{PrefixAffinityOptions{}};
  auto idle = MakeSnapshot(config, {});
  scorer.OnRouted(WithChain(kChain), *idle, 1);
  EXPECT_EQ(scorer.IndexEntries(), 4u);
  const Candidate candidates[] = {{0, false}, {1, false}, {2, false}};
  EXPECT_EQ(testing::ExplainWith(scorer, WithChain(kChain), *idle, candidates, 1),
            "4/4 blocks seen");
  auto skewed = MakeSnapshot(config, {Loaded(50), Loaded(0), Loaded(3)});
  EXPECT_EQ(testing::ExplainWith(scorer, WithChain(kChain), *skewed, candidates, 1),
            "imbalanced 50 vs 0: by load");
}

TEST(PrefixAffinityTest, KeysOnTextChunksWhenThereAreNoBlockHashes) {
  auto config = ThreeSiteFleet();
  auto policy = MakePolicy("prefix-affinity");
  const std::string system(512, 'S');
  const std::vector<uint64_t> first = HashTextChunks(system + "What is a token factory?");
  const std::vector<uint64_t> second = HashTextChunks(system + "Where is the hub?");
  RoutingRequest request;
  request.model = "m";
  request.text_chunk_hashes = first;
  policy->OnRouted(request, *MakeSnapshot(config, {}), 2);
  request.text_chunk_hashes = second;
  auto busier_edge = MakeSnapshot(config, {Loaded(0), Loaded(0), Loaded(6)});
  EXPECT_EQ(Ranking(policy->Rank(request, *busier_edge), *config)[0], "edge-1");
}

TEST(PrefixAffinityTest, AffinityFollowsTheNameAcrossReloads) {
  auto config = ThreeSiteFleet();
  auto policy = MakePolicy("prefix-affinity");
  policy->OnRouted(WithChain(kChain), *MakeSnapshot(config, {}), 1);  // coast-1
  // The reloaded fleet lists the upstreams in another order.
  auto reloaded = MakeFleet({{"edge-1", "edge"}, {"coast-1", "coast"}, {"hub-1", "hub"}});
  auto snapshot = MakeSnapshot(reloaded, {Loaded(0), Loaded(5), Loaded(0)});
  EXPECT_EQ(Ranking(policy->Rank(WithChain(kChain), *snapshot), *reloaded)[0], "coast-1");
}

}  // namespace
}  // namespace tokenfab::routing
