// Routing one request: every built-in policy and the default composition, over fleets of 3 and
// 1,000 upstreams. The gateway's whole budget is < 0.3 ms p50, so routing must take microseconds.
//
//   build/bin/routing_bench --benchmark_filter='Rank/'
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "tokenfab/base/check.h"
#include "tokenfab/base/random.h"
#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::routing {
namespace {

constexpr int64_t kWall = 1'700'020'800'000'000;
constexpr int kPromptBlocks = 32;    // a 512-token prompt in 16-token blocks
constexpr int kConversations = 256;  // distinct prompt prefixes in flight

const char* const kSpecs[] = {
    "round-robin", "least-load", "power-of-two", "prefix-affinity",
    "kv-aware",    "cost-slo",   "green-first",  "prefix-affinity+kv-aware:0.5+least-load:0.3"};

fleet::Site MakeSite(std::string name, std::string region, double price, double pue) {
  fleet::Site site;
  site.name = std::move(name);
  site.region = std::move(region);
  site.utc_offset_minutes = 480;
  site.energy.currency = "CNY";
  site.energy.prices = fleet::PriceSchedule::Flat(price);
  site.energy.pue = pue;
  site.energy.green_share = 0.3;
  site.energy.carbon_g_per_kwh = 400;
  return site;
}

// `n` upstreams spread over three sites, each serving "m".
std::shared_ptr<const fleet::FleetConfig> Fleet(int n) {
  fleet::FleetSpec spec;
  spec.currency = "CNY";
  spec.regions = {{"west", "cn", ""}, {"east", "cn", ""}, {"sg", "sg", ""}};
  spec.sites = {MakeSite("hub", "west", 0.398, 1.2), MakeSite("coast", "east", 0.56, 1.3),
                MakeSite("edge", "sg", 1.15, 1.35)};
  const double rtts[] = {12, 1.5, 38};
  for (int s = 0; s < 3; ++s) {
    spec.network.push_back({spec.sites[s].name, {true, rtts[s], 0.05, 1e-6}});
  }
  for (int i = 0; i < n; ++i) {
    fleet::Upstream up;
    up.name = "node-" + std::to_string(i);
    up.url = {"http", "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250), 8000, "/"};
    up.models = {"m"};
    up.site = spec.sites[i % 3].name;
    up.hardware = {fleet::DeviceKind::kGpu, "H800", 8, 989, 3350, 90, 700};
    spec.upstreams.push_back(std::move(up));
  }
  auto config = fleet::FleetConfig::Create(std::move(spec));
  TF_CHECK(config.ok()) << config.status().message();
  return std::make_shared<const fleet::FleetConfig>(*std::move(config));
}

// Chained-looking block hashes of conversation `c`.
std::vector<uint64_t> Chain(int c) {
  std::vector<uint64_t> chain(kPromptBlocks);
  base::Random random(1000 + c);
  for (uint64_t& h : chain) h = random.NextU64();
  return chain;
}

std::shared_ptr<const fleet::FleetSnapshot> Snapshot(
    std::shared_ptr<const fleet::FleetConfig> config,
    const std::vector<std::vector<uint64_t>>& chains) {
  base::Random random(7);
  std::vector<fleet::UpstreamState> states(config->upstreams().size());
  for (size_t i = 0; i < states.size(); ++i) {
    states[i].running = static_cast<int32_t>(random.Below(64));
    states[i].waiting = static_cast<int32_t>(random.Below(8));
    states[i].queue_delay_ms = random.Uniform() * 400;
    // Each upstream reports a few conversations' prefixes as cached.
    std::vector<uint64_t> cached;
    for (int k = 0; k < 4; ++k) {
      const auto& chain = chains[random.Below(chains.size())];
      cached.insert(cached.end(), chain.begin(), chain.begin() + random.Below(kPromptBlocks));
    }
    states[i].cached_blocks = std::make_shared<const fleet::BlockHashSet>(std::move(cached));
  }
  return fleet::FleetSnapshot::Create(std::move(config), std::move(states), kWall);
}

void BM_Rank(benchmark::State& state) {
  const char* spec = kSpecs[state.range(0)];
  const int upstreams = static_cast<int>(state.range(1));
  state.SetLabel(spec);
  std::vector<std::vector<uint64_t>> chains;
  for (int c = 0; c < kConversations; ++c) chains.push_back(Chain(c));
  auto snapshot = Snapshot(Fleet(upstreams), chains);
  base::Random random(1);
  auto policy = PolicyRegistry::Default().Create(spec, PolicyOptions{}, random);
  TF_CHECK(policy.ok()) << policy.status().message();
  RoutingRequest request;
  request.model = "m";
  request.prompt_tokens = kPromptBlocks * 16;
  request.expected_output_tokens = 256;
  request.slo.ttft_ms = 1000;
  // Warm the learned state (prefix index) with every conversation once.
  for (const auto& chain : chains) {
    request.block_hashes = chain;
    (*policy)->Route(request, *snapshot);
  }
  size_t next = 0;
  for (auto _ : state) {
    request.block_hashes = chains[next++ % chains.size()];
    RoutingDecision decision = (*policy)->Route(request, *snapshot);
    benchmark::DoNotOptimize(decision);
  }
}

void Args(benchmark::internal::Benchmark* b) {
  for (int upstreams : {3, 1000}) {
    for (int spec = 0; spec < static_cast<int>(std::size(kSpecs)); ++spec)
      b->Args({spec, upstreams});
  }
}
BENCHMARK(BM_Rank)->Apply(Args)->ArgNames({"policy", "upstreams"});

}  // namespace
}  // namespace tokenfab::routing

BENCHMARK_MAIN();
