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
  // The policy composes the three scorers the spec names, in its order, with its weights: the
  // decision's reason lists each term as it was built ("name[:weight] part (why)").
  const RoutingDecision decision =
      policy_->Rank(Request({}), *MakeSnapshot(config_, {Loaded(1), Loaded(0), Loaded(2)}));
  ASSERT_FALSE(decision.empty());
  const std::string& reason = decision.reason;
  const size_t affinity = reason.find(" = prefix-affinity ");
  const size_t kv = reason.find(" + kv-aware:0.5 ");
  const size_t load = reason.find(" + least-load:0.3 ");
  ASSERT_NE(affinity, std::string::npos) << reason;
  ASSERT_NE(kv, std::string::npos) << reason;
  ASSERT_NE(load, std::string::npos) << reason;
  EXPECT_LT(affinity, kv) << reason;
  EXPECT_LT(kv, load) << reason;
  EXPECT_EQ(reason.find(" + ", load + 1), std::string::npos) << "a fourth term: " << reason;
  EXPECT_EQ(policy_->spec(), "prefix-affinity+kv-aware:0.5+least-load:0.3");
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
