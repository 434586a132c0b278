// What the default composition (kDefaultPolicySpec) is meant to do, on the three-site test fleet:
// cheapest site within the SLO; spill when the cheap site's queue breaks it; keep a conversation
// where its prefix is cached unless that costs over twice as much; honour residency.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "routing/routing_test_util.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::routing {
namespace {

using testing::Loaded;
using testing::MakeSnapshot;
using testing::Ranking;
using testing::ThreeSiteFleet;

class DefaultPolicyTest : public ::testing::Test {
 protected:
  DefaultPolicyTest()
      : config_(ThreeSiteFleet()), policy_(testing::MakePolicy(kDefaultPolicySpec)) {}

  RoutingRequest Request(std::span<const uint64_t> chain) const {
    RoutingRequest request;
    request.model = "m";
    request.prompt_tokens = 2'000;
    request.expected_output_tokens = 300;
    request.slo.ttft_ms = 1'000;
    request.block_hashes = chain;
    return request;
  }
  std::string First(const RoutingRequest& request, std::vector<fleet::UpstreamState> states) {
    return Ranking(policy_->Rank(request, *MakeSnapshot(config_, std::move(states))), *config_)[0];
  }

  std::shared_ptr<const fleet::FleetConfig> config_;
  std::unique_ptr<Policy> policy_;
};

TEST_F(DefaultPolicyTest, BuildsFromTheDefaultSpec) {
  EXPECT_EQ(policy_->spec(), kDefaultPolicySpec);
}

TEST_F(DefaultPolicyTest, CheapestSiteWhileItMeetsTheSlo) {
  EXPECT_EQ(First(Request({}), {Loaded(6), Loaded(0), Loaded(0)}), "hub-1");
  // hub: 12 + 700 + 200 ms > 800 ms (the SLO with headroom): spill to the coast.
  EXPECT_EQ(First(Request({}), {Loaded(6, 10, 700), Loaded(0), Loaded(0)}), "coast-1");
  // Both Chinese sites queued past the SLO: the edge.
  EXPECT_EQ(First(Request({}), {Loaded(6, 10, 700), Loaded(6, 10, 900), Loaded(0)}), "edge-1");
}

TEST_F(DefaultPolicyTest, CacheAffinityOutweighsA40PercentPriceGapButNotTwice) {
  const std::vector<uint64_t> coast_chat = {1, 2, 3, 4};
  const std::vector<uint64_t> edge_chat = {5, 6, 7, 8};
  auto idle = MakeSnapshot(config_, {});
  policy_->OnRouted(Request(coast_chat), *idle, 1);
  policy_->OnRouted(Request(edge_chat), *idle, 2);
  EXPECT_EQ(First(Request(coast_chat), {Loaded(0), Loaded(1), Loaded(0)}), "coast-1");
  EXPECT_EQ(First(Request(edge_chat), {Loaded(0), Loaded(0), Loaded(1)}), "hub-1");
}

TEST_F(DefaultPolicyTest, ResidencyComesBeforeCost) {
  RoutingRequest request = Request({});
  const std::vector<std::string> sg = {"sg"};
  request.allowed_regions = sg;
  EXPECT_EQ(First(request, {Loaded(0), Loaded(0), Loaded(9)}), "edge-1");
}

}  // namespace
}  // namespace tokenfab::routing
