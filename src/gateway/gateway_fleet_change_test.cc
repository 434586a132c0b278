// Requests in flight across a fleet change (a registry join, a SIGHUP reload): a retry goes to
// the fleet the gateway runs now, not only to the one the request arrived under. In process:
// real HTTP servers as upstreams (FakeUpstream), a real ledger and the real gateway.
#include <future>

#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"

namespace tokenfab::gateway {
namespace {

using namespace std::chrono_literals;
using testing::ClientResult;
using testing::FailMode;
using testing::FakeUpstream;

// The only upstream takes a request and dies before its first byte; another joined the fleet
// after the request arrived (the registry's view changed, before any poll of it): the retry
// goes to the new one, as it would have for a request that arrived a moment later.
TEST_F(GatewayRelayTest, RetryOffADeadUpstreamReachesOneThatJoinedAfterTheRequestArrived) {
  FakeUpstream& dying = AddUpstream();
  dying.SetFailure(FailMode::kNeverAnswer);
  StartGateway({.down_after = 1000});  // the poller must not hide it first
  auto pending = std::async(std::launch::async, [this] { return Chat("hello", true); });
  ASSERT_TRUE(WaitFor([&] { return dying.open_streams() == 1; }));
  FakeUpstream& joined = AddUpstream({.tokens = 2});
  ASSERT_TRUE(gateway_->Reload(Fleet()).ok());
  dying.Stop();
  const ClientResult r = pending.get();
  ASSERT_TRUE(r.saw_done()) << r.status << " " << r.body;
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u1");
  EXPECT_EQ(r.header("x-tokenfab-attempts"), "2");
  EXPECT_EQ(joined.requests(), 1);
}

// The request arrived under a fleet of two; the second left it (drained, deregistered) before
// the first died: the retry goes to the fleet in force, not to the upstream that left.
TEST_F(GatewayRelayTest, RetryGoesToTheFleetInForceNotToAnUpstreamThatLeft) {
  FakeUpstream& dying = AddUpstream();
  dying.SetFailure(FailMode::kNeverAnswer);
  FakeUpstream& left = AddUpstream({.tokens = 2});
  StartGateway({.down_after = 1000});
  auto pending = std::async(std::launch::async, [this] { return Chat("hello", true); });
  ASSERT_TRUE(WaitFor([&] { return dying.open_streams() == 1; }))
      << "least-load ranks idle upstreams in fleet order";
  auto joined = FakeUpstream::Start({.tokens = 2, .name = "joined"});
  ASSERT_TRUE(joined.ok());
  auto config = fleet::ParseFleetConfig(
      testing::TestFleetToml({{.url = dying.url()}, {.url = (*joined)->url(), .name = "n2"}}),
      "new.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(gateway_->Reload(std::make_shared<const fleet::FleetConfig>(*config)).ok());
  dying.Stop();
  const ClientResult r = pending.get();
  ASSERT_TRUE(r.saw_done()) << r.status << " " << r.body;
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "n2");
  EXPECT_EQ((*joined)->requests(), 1);
  EXPECT_EQ(left.requests(), 0);
}

// A member joins (placed first, where a fresh policy's tie-break would send everything): the
// prefix the gateway sent to u0 before the join still goes to u0, because the policy's learned
// state (the prefix index) outlives the membership change; a prompt it has not seen goes to the
// newcomer, as the tie-break does.
TEST_F(GatewayRelayTest, AJoinKeepsWhereEachPrefixWasSent) {
  FakeUpstream& first = AddUpstream({.tokens = 2});
  GatewayOptions options;
  options.policy = "prefix-affinity";
  StartGateway(options);
  const std::string prompt(640, 'p');  // ten 64-byte chunks
  const ClientResult before = Chat(prompt, false);
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(before.header("x-tokenfab-upstream"), "u0");
  auto joined = FakeUpstream::Start({.tokens = 2, .name = "joined"});
  ASSERT_TRUE(joined.ok());
  auto config =
      fleet::ParseFleetConfig(testing::TestFleetToml({{.url = (*joined)->url(), .name = "n0"},
                                                      {.url = first.url(), .name = "u0"}}),
                              "joined.toml");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(gateway_->Reload(std::make_shared<const fleet::FleetConfig>(*config)).ok());
  const ClientResult again = Chat(prompt, false);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.header("x-tokenfab-upstream"), "u0") << "the prefix index was lost with the join";
  const ClientResult unseen = Chat(std::string(640, 'q'), false);
  ASSERT_EQ(unseen.status, 200) << unseen.body;
  EXPECT_EQ(unseen.header("x-tokenfab-upstream"), "n0");
}

}  // namespace
}  // namespace tokenfab::gateway
