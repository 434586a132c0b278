// The twin's routing decisions are the gateway policy's: on the same snapshot, a policy built by
// the registry from the same spec and seed picks the same upstream as the twin's gateway.
#include "sim/sim_gateway.h"

#include <map>

#include <gtest/gtest.h>

#include "tokenfab/engine/block_hash.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::sim {
namespace {

gateway::UpstreamLoad LoadOf(int running, int waiting, double kv, std::vector<uint64_t> hashes) {
  gateway::UpstreamLoad load;
  load.running = running;
  load.waiting = waiting;
  load.kv_usage = kv;
  load.max_running = 64;
  load.queue_delay_ms = waiting * 40.0;
  load.decode_tokens_per_s = 2000;
  load.prefill_tokens_per_s = 20000;
  load.tpot_ms = 20 + running;
  load.block_tokens = 16;
  load.cached_block_hashes = std::move(hashes);
  return load;
}

class SimGatewayTest : public ::testing::TestWithParam<const char*> {};

TEST_P(SimGatewayTest, DecisionsEqualTheGatewayPolicysOnTheSameSnapshot) {
  auto loaded =
      fleet::LoadFleetConfig(std::string(TOKENFAB_EXAMPLES_DIR) + "/fleet-three-regions.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto config = std::make_shared<const fleet::FleetConfig>(*std::move(loaded));
  SimWorkloadSpec spec;
  spec.tiers = {DefaultTier()};
  base::ManualClock clock(0, 1'767'600'000'000'000);
  routing::PolicyOptions options;
  base::Random twin_random(11), gateway_random(11);
  auto twin_policy = routing::PolicyRegistry::Default().Create(GetParam(), options, twin_random);
  auto reference = routing::PolicyRegistry::Default().Create(GetParam(), options, gateway_random);
  ASSERT_TRUE(twin_policy.ok() && reference.ok());
  SimGateway gw(config, std::move(*twin_policy), spec, clock);

  std::vector<int32_t> shared_prompt(256, 7);
  const auto salt = engine::TenantSalt(gw.tenant(0).name);
  const auto shared_hashes = engine::HashFullBlocks(shared_prompt, 16, salt);
  std::map<uint32_t, int> chosen;
  for (int i = 0; i < 200; ++i) {
    if (i % 10 == 0) {  // a poll round with loads that move
      gw.ReportPoll(0, LoadOf(i % 40, i % 3, 0.5, shared_hashes), 12'500);
      gw.ReportPoll(1, LoadOf(10, (i / 10) % 5, 0.2, {}), 1'500);
      gw.ReportPoll(2, LoadOf(30 - i % 30, 0, 0.9, {}), 38'000);
    }
    clock.Advance(5'000);
    std::vector<int32_t> prompt = shared_prompt;
    if (i % 2 == 1) prompt.assign(300, 100 + i);  // half share a cached prefix
    const auto snapshot = gw.Snapshot();
    routing::RoutingRequest request;
    const auto hashes = engine::HashFullBlocks(prompt, 16, salt);
    request.model = "qwen3-8b";
    request.tenant = gw.tenant(0).name;
    request.slo = {2000, 100};
    request.prompt_tokens = static_cast<int32_t>(prompt.size());
    request.expected_output_tokens = 128;
    request.block_hashes = hashes;
    request.block_tokens = 16;
    const routing::RoutingDecision expected = (*reference)->Route(request, *snapshot);
    GatewayDecision got = gw.Route("qwen3-8b", 0, prompt, 128);
    ASSERT_FALSE(expected.empty());
    ASSERT_TRUE(got.upstream.has_value()) << "request " << i;
    EXPECT_EQ(*got.upstream, expected.ranked[0].index) << "request " << i;
    ++chosen[*got.upstream];
    if (i % 3 == 0) gw.Finish(*got.upstream, got, 400);
  }
  // The loads are mixed enough that the comparison covers more than one choice.
  EXPECT_GE(chosen.size(), 2u) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Policies, SimGatewayTest,
                         ::testing::Values("least-load", "power-of-two", "kv-aware",
                                           "prefix-affinity+kv-aware:0.5+least-load:0.3",
                                           "cost-slo", "round-robin"));

}  // namespace
}  // namespace tokenfab::sim
