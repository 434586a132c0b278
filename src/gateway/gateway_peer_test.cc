// An edge gateway in front of a hub gateway (peer_trust.h): the hub keeps the request id and the
// admission of an authenticated edge only; a client's headers change nothing.
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

using testing::ClientResult;
using testing::FakeUpstream;
using testing::PostOptions;
using testing::TestFleetToml;

constexpr char kPeerSecret[] = "edge-and-hub-share-this";

class GatewayPeerTest : public GatewayRelayTest {
 protected:
  // The tenant's tier allows `rpm` requests a minute, counted in the counters both gateways share.
  void LimitRequestsPerMinute(int64_t rpm) {
    StatusOr<ledger::Tier> standard = store_->GetTier("standard");  // acme's tier
    ASSERT_TRUE(standard.ok()) << standard.status();
    standard->limits.rpm = rpm;
    ASSERT_TRUE(store_->PutTier(*standard).ok());
  }

  // Starts the hub (this fixture's gateway, in front of the fake node "u0") and moves it to hub_.
  void StartHub(std::string secret) {
    GatewayOptions options;
    options.name = "hub-gw";
    options.peers.secret = std::move(secret);
    StartGateway(options);
    hub_ = std::move(gateway_);
  }

  // Starts the edge, with the hub as its only upstream, as gateway_ (Chat() calls it).
  void StartEdge(std::string secret) {
    GatewayOptions options;
    options.io_threads = 1;
    options.name = "edge-gw";
    options.peers.secret = std::move(secret);
    StartGatewayOn(TestFleetToml({{.url = fmt::format("http://127.0.0.1:{}", hub_->port()),
                                   .kind = "tokenfab-gateway",
                                   .name = "the-hub"}}),
                   std::move(options));
  }

  int64_t RecordedRequests() {
    auto rows = store_->QueryUsage({});
    EXPECT_TRUE(rows.ok()) << rows.status();
    int64_t requests = 0;
    if (rows.ok()) {
      for (const auto& row : *rows) requests += row.requests;
    }
    return requests;
  }

  void TearDown() override {
    if (gateway_) gateway_->Stop();
    gateway_.reset();
    if (hub_) hub_->Stop();
    hub_.reset();
    GatewayRelayTest::TearDown();
  }

  std::unique_ptr<Gateway> hub_;
};

TEST_F(GatewayPeerTest, EdgeGatewayForwardsToAHubThatIsPolledLikeANodeAndAdmitsOnce) {
  FakeUpstream& node = AddUpstream({.tokens = 5});
  node.SetLoadJson(R"({"running":2,"waiting":1,"max_running":16})");
  // One request a minute: the edge's admission takes it; the hub admitting again would refuse.
  LimitRequestsPerMinute(1);
  StartHub(kPeerSecret);
  StartEdge(kPeerSecret);
  // The edge sees the hub's aggregate load through /load.
  ASSERT_TRUE(WaitFor([&] { return gateway_->Snapshot()->state(0).running == 2; }));
  EXPECT_EQ(gateway_->Snapshot()->state(0).waiting, 1);

  const ClientResult r = Chat("through two gateways", true, /*include_usage=*/true);
  ASSERT_TRUE(r.saw_done()) << r.status << r.body;
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "the-hub") << "the edge's upstream: the hub";
  EXPECT_EQ(r.text(), "u0x0 u0x1 u0x2 u0x3 u0x4 ");
  EXPECT_EQ(r.usage()->completion_tokens, 5);
  const std::vector<testing::ReceivedRequest> at_node = node.received();
  ASSERT_EQ(at_node.size(), 1u);
  EXPECT_EQ(at_node[0].headers.Get("x-request-id"), r.header("x-request-id"));
  EXPECT_EQ(at_node[0].headers.Get("x-tokenfab-tenant"), "acme");
  EXPECT_EQ(at_node[0].headers.Get(kPeerSecretHeader), std::nullopt) << "only hubs are sent it";
  // One request, one event: the hub's (it committed first), naming the node that served it.
  const ledger::UsageEvent e = Recorded(r);
  EXPECT_EQ(e.completion_tokens, 5);
  EXPECT_EQ(e.upstream, "u0") << "the hub's event names the node, not the hub";
  EXPECT_EQ(RecordedRequests(), 1);
  // The minute's one request is used: the next is refused at the edge.
  EXPECT_EQ(Chat("again", false).status, 429);
}

TEST_F(GatewayPeerTest, AnEdgeWithoutTheSecretIsAClientOfTheHub) {
  AddUpstream({.tokens = 3});
  LimitRequestsPerMinute(1);
  StartHub(kPeerSecret);
  StartEdge("not-the-secret");
  // The hub admits the request again (the minute's one was the edge's) and refuses it.
  const ClientResult r = Chat("through two gateways", false);
  EXPECT_EQ(r.status, 429) << r.body;
}

TEST_F(GatewayPeerTest, AClientCannotChooseItsRequestIdAtTheHub) {
  FakeUpstream& node = AddUpstream({.tokens = 2});
  StartHub(kPeerSecret);
  gateway_ = std::move(hub_);
  PostOptions replay;
  replay.headers.Add("x-request-id", "replayed-id-0001");
  PostOptions wrong_secret = replay;
  wrong_secret.headers.Add(std::string(kPeerSecretHeader), "guess");
  std::vector<std::string> ids;
  for (const PostOptions& options : {replay, replay, wrong_secret}) {
    const ClientResult r = Chat("same id", false, false, options);
    ASSERT_EQ(r.status, 200) << r.body;
    ids.push_back(r.header("x-request-id"));
    Recorded(r);
  }
  EXPECT_NE(ids[0], "replayed-id-0001");
  EXPECT_NE(ids[0], ids[1]);
  EXPECT_NE(ids[1], ids[2]);
  EXPECT_EQ(node.requests(), 3);
  EXPECT_EQ(RecordedRequests(), 3) << "each answered request is billed under its own id";
  // The deployment's secret does make the id the caller's.
  PostOptions peer = replay;
  peer.headers.Add(std::string(kPeerSecretHeader), kPeerSecret);
  const ClientResult from_peer = Chat("same id", false, false, peer);
  ASSERT_EQ(from_peer.status, 200) << from_peer.body;
  EXPECT_EQ(from_peer.header("x-request-id"), "replayed-id-0001");
}

}  // namespace
}  // namespace tokenfab::gateway
