// The operator token on the gateway's operations routes, the token on its polls, and upstream
// keys from the fleet file (api_key_env) on calls and polls.
#include <cstdlib>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway_relay_fixture.h"
#include "tokenfab/api/prefix_key.h"
#include "tokenfab/engine/block_hash.h"

namespace tokenfab::gateway {
namespace {

using testing::ClientResult;
using testing::FakeUpstream;
using testing::FakeUpstreamOptions;

TEST_F(GatewayRelayTest, OperationsRoutesNeedTheOperatorToken) {
  FakeUpstream& up = AddUpstream();
  GatewayOptions options;
  options.operator_token = "op-secret";
  StartGateway(options);
  ASSERT_TRUE(WaitFor([&] { return up.load_polls() > 0; }));
  for (const std::string path : {"/load", "/fleet", "/metrics", "/dashboard", "/dashboard/data"}) {
    const ClientResult none = client_.Get(gateway_->port(), path);
    EXPECT_EQ(none.status, 401) << path;
    EXPECT_THAT(none.header("WWW-Authenticate"), ::testing::HasSubstr("realm=")) << path;
    EXPECT_EQ(client_.Get(gateway_->port(), path, "op-secreT").status, 401) << path;
    // A tenant's API key is not the operator token.
    EXPECT_EQ(client_.Get(gateway_->port(), path, key_).status, 401) << path;
    EXPECT_EQ(client_.Get(gateway_->port(), path, "op-secret").status, 200) << path;
  }
  // Probes and tenants need no operator token.
  EXPECT_EQ(client_.Get(gateway_->port(), "/health").status, 200);
  EXPECT_EQ(Chat("hello", /*stream=*/false).status, 200);
}

TEST_F(GatewayRelayTest, WithoutAnOperatorTokenTheRoutesStayOpen) {
  AddUpstream();
  StartGateway();
  for (const std::string path : {"/load", "/fleet", "/metrics", "/dashboard/data"}) {
    EXPECT_EQ(client_.Get(gateway_->port(), path).status, 200) << path;
  }
}

TEST_F(GatewayRelayTest, OperationsRoutesCanHaveTheirOwnAddress) {
  AddUpstream();
  GatewayOptions options;
  options.operator_token = "op-secret";
  options.ops_host = "127.0.0.1";
  StartGateway(options);
  ASSERT_NE(gateway_->ops_port(), 0);
  ASSERT_NE(gateway_->ops_port(), gateway_->port());
  for (const std::string path : {"/load", "/fleet", "/metrics", "/dashboard", "/dashboard/data"}) {
    // Not on the main address, even with the token.
    EXPECT_EQ(client_.Get(gateway_->port(), path, "op-secret").status, 404) << path;
    EXPECT_EQ(client_.Get(gateway_->ops_port(), path).status, 401) << path;
    EXPECT_EQ(client_.Get(gateway_->ops_port(), path, "op-secret").status, 200) << path;
  }
  EXPECT_EQ(client_.Get(gateway_->port(), "/health").status, 200);
  EXPECT_EQ(Chat("hello", /*stream=*/false).status, 200);
}

TEST_F(GatewayRelayTest, PollsOfTokenfabUpstreamsCarryTheOperatorToken) {
  // The upstream requires the token: polls without it would leave it down.
  FakeUpstream& up = AddUpstream(FakeUpstreamOptions{.required_key = "op-secret"});
  GatewayOptions options;
  options.operator_token = "op-secret";
  StartGateway(options);
  // Polls the upstream accepted (it counts only those).
  ASSERT_TRUE(WaitFor([&] { return up.load_polls() >= 2; }));
  EXPECT_TRUE(gateway_->Snapshot()->state(0).healthy);
  EXPECT_EQ(up.unauthorised(), 0);
}

TEST_F(GatewayRelayTest, UpstreamKeyFromTheFleetFileIsSentOnCallsAndPolls) {
  ::setenv("TOKENFAB_RELAY_TEST_UPSTREAM_KEY", "sk-upstream", 1);
  FakeUpstream& up = AddUpstream(FakeUpstreamOptions{.required_key = "sk-upstream"});
  upstream_fields_ = {"api_key_env = \"TOKENFAB_RELAY_TEST_UPSTREAM_KEY\"\n"};
  StartGateway();
  ::unsetenv("TOKENFAB_RELAY_TEST_UPSTREAM_KEY");
  ASSERT_TRUE(WaitFor([&] { return up.load_polls() >= 2; }));
  EXPECT_TRUE(gateway_->Snapshot()->state(0).healthy);
  const ClientResult r = Chat("hello", /*stream=*/true, /*include_usage=*/true);
  EXPECT_TRUE(r.saw_done()) << r.status << " " << r.body;
  EXPECT_EQ(up.unauthorised(), 0);
  ASSERT_FALSE(up.received().empty());
  // The upstream got its own key, not the client's.
  EXPECT_EQ(up.received().back().headers.Get("Authorization").value_or(""), "Bearer sk-upstream");
}

TEST_F(GatewayRelayTest, AnUpstreamThatNeedsAKeyItIsNotGivenStaysDown) {
  FakeUpstream& up = AddUpstream(FakeUpstreamOptions{.required_key = "sk-upstream"});
  StartGateway();
  // Healthy until polls fail (two in a row): the refused polls take it down.
  EXPECT_TRUE(WaitFor([&] { return !gateway_->Snapshot()->state(0).healthy; }));
  EXPECT_GE(up.unauthorised(), 2);
  EXPECT_EQ(up.load_polls(), 0);
}

// Routing by cached prefix compares keyed hashes: an upstream that publishes the keyed hashes of
// a prompt's blocks wins it; one that publishes the unkeyed hashes (what anyone can compute from
// the prompt and the tenant's name) matches nothing.
TEST_F(GatewayRelayTest, PrefixRoutingMatchesHashesKeyedWithTheDeploymentSecret) {
  const api::PrefixKey key = api::PrefixKey::FromSecret("deployment-secret");
  std::vector<int32_t> prompt;
  std::string ids;
  for (int i = 0; i < 64; ++i) {
    prompt.push_back(500 + i);
    if (i > 0) ids += ',';
    ids += std::to_string(500 + i);
  }
  const std::vector<uint64_t> unkeyed =
      engine::HashFullBlocks(prompt, 16, engine::TenantSalt("acme"));
  ASSERT_EQ(unkeyed.size(), 4u);
  const auto load_with = [](const std::vector<uint64_t>& hashes) {
    std::string list;
    for (uint64_t h : hashes) list += fmt::format("{}\"{:016x}\"", list.empty() ? "" : ",", h);
    return fmt::format(R"({{"running":0,"waiting":0,"max_running":8,"kv_usage":0.1,)"
                       R"("queue_delay_ms":0,"block_tokens":16,"prefix_cache":{{)"
                       R"("block_tokens":16,"block_hashes":[{}]}}}})",
                       list);
  };
  std::vector<uint64_t> keyed = unkeyed;
  key.PublishAll(keyed);
  AddUpstream().SetLoadJson(load_with(unkeyed));  // u0: first in the file, wins ties
  AddUpstream().SetLoadJson(load_with(keyed));    // u1
  GatewayOptions options;
  options.prefix_key = key;
  options.policy = "kv-aware";
  StartGateway(options);
  ASSERT_TRUE(WaitFor([&] {
    const auto snapshot = gateway_->Snapshot();
    return snapshot->state(0).cached_blocks && snapshot->state(1).cached_blocks;
  }));
  const ClientResult r = client_.Post(
      gateway_->port(), "/v1/completions",
      fmt::format(R"({{"model":"m","prompt":[{}],"max_tokens":2}})", ids), {.api_key = key_});
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("x-tokenfab-upstream"), "u1");
}

}  // namespace
}  // namespace tokenfab::gateway
