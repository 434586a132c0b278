// What the default composition (kDefaultPolicySpec) is meant to do, on the three-site test fleet:
// new conversations to the least loaded upstream; a conversation stays where its prefix is
// cached (the gateway's own index, or the blocks an upstream reports) until loads drift apart;
// residency before everything.
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

TEST_F(DefaultPolicyTest, NewConversationsGoToTheLeastLoaded) {
  EXPECT_EQ(First(Request({}), {Loaded(6), Loaded(0), Loaded(2)}), "coast-1");
  EXPECT_EQ(First(Request({}), {Loaded(1), Loaded(5), Loaded(3)}), "hub-1");
}

TEST_F(DefaultPolicyTest, AConversationStaysWhereItsPrefixWasSent) {
  const std::vector<uint64_t> chat = {1, 2, 3, 4};
  policy_->OnRouted(Request(chat), *MakeSnapshot(config_, {}), 0);
  // The hub is busier, but it holds the conversation's prefix.
  EXPECT_EQ(First(Request(chat), {Loaded(8), Loaded(0), Loaded(0)}), "hub-1");
  // Loads drifted apart (over 32 requests and 1.5 times): balance first.
  EXPECT_NE(First(Request(chat), {Loaded(80), Loaded(10), Loaded(10)}), "hub-1");
}

TEST_F(DefaultPolicyTest, FollowsTheBlocksAnUpstreamReportsCached) {
  // A conversation this gateway never routed (another gateway did, or before a restart), whose
  // blocks the edge node reports in its load snapshot.
  const std::vector<uint64_t> chat = {5, 6, 7, 8};
  fleet::UpstreamState edge = Loaded(1);
  edge.cached_blocks = std::make_shared<const fleet::BlockHashSet>(chat);
  RoutingRequest request = Request(chat);
  request.block_tokens = 500;
  EXPECT_EQ(First(request, {Loaded(1), Loaded(1), edge}), "edge-1");
  EXPECT_EQ(First(Request({}), {Loaded(1), Loaded(1), edge}), "hub-1");
}

TEST_F(DefaultPolicyTest, ResidencyComesFirst) {
  RoutingRequest request = Request({});
  const std::vector<std::string> sg = {"sg"};
  request.allowed_regions = sg;
  EXPECT_EQ(First(request, {Loaded(0), Loaded(0), Loaded(9)}), "edge-1");
}

}  // namespace
}  // namespace tokenfab::routing
