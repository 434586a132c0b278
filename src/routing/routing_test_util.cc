#include "routing/routing_test_util.h"

#include "tokenfab/base/check.h"
#include "tokenfab/base/random.h"
#include "tokenfab/routing/policy_registry.h"

namespace tokenfab::routing::testing {
namespace {

fleet::Site MakeSite(std::string name, std::string region, double price, double pue, double green,
                     double carbon) {
  fleet::Site site;
  site.name = std::move(name);
  site.region = std::move(region);
  site.utc_offset_minutes = 8 * 60;
  site.energy.currency = "CNY";
  site.energy.prices = fleet::PriceSchedule::Flat(price);
  site.energy.pue = pue;
  site.energy.green_share = green;
  site.energy.carbon_g_per_kwh = carbon;
  return site;
}

fleet::NetworkLink Link(std::string site, double rtt_ms) {
  fleet::NetworkLink link;
  link.site = std::move(site);
  link.path.configured = true;
  link.path.rtt_ms = rtt_ms;
  return link;
}

}  // namespace

std::shared_ptr<const fleet::FleetConfig> MakeFleet(const std::vector<UpstreamRow>& rows) {
  fleet::FleetSpec spec;
  spec.source = "test";
  spec.currency = "CNY";
  spec.regions = {{"cn-west", "cn", ""}, {"cn-east", "cn", ""}, {"sg", "sg", ""}};
  spec.sites = {MakeSite("hub", "cn-west", 0.40, 1.2, 0.55, 250),
                MakeSite("coast", "cn-east", 0.56, 1.3, 0.25, 480),
                MakeSite("edge", "sg", 1.00, 1.35, 0.04, 410)};
  spec.network = {Link("hub", 12), Link("coast", 1.5), Link("edge", 38)};
  uint16_t port = 9000;
  for (const UpstreamRow& row : rows) {
    fleet::Upstream up;
    up.name = row.name;
    up.url = {"http", "127.0.0.1", port++, "/"};
    up.models = row.models;
    up.site = row.site;
    up.weight = row.weight;
    up.hardware.count = 1;
    up.hardware.peak_tflops = 100;
    up.hardware.mem_bandwidth_gbps = 1000;
    up.hardware.power_idle_w = 100;
    up.hardware.power_max_w = 1000;
    up.throughput = {10'000, 2'000};
    spec.upstreams.push_back(std::move(up));
  }
  auto config = fleet::FleetConfig::Create(std::move(spec));
  TF_CHECK(config.ok()) << config.status().message();
  return std::make_shared<const fleet::FleetConfig>(*std::move(config));
}

std::shared_ptr<const fleet::FleetConfig> ThreeSiteFleet() {
  return MakeFleet({{"hub-1", "hub"}, {"coast-1", "coast"}, {"edge-1", "edge"}});
}

std::shared_ptr<const fleet::FleetSnapshot> MakeSnapshot(
    std::shared_ptr<const fleet::FleetConfig> config, std::vector<fleet::UpstreamState> states,
    int64_t wall_micros) {
  if (states.empty()) states.resize(config->upstreams().size());
  return fleet::FleetSnapshot::Create(std::move(config), std::move(states), wall_micros);
}

fleet::UpstreamState Loaded(int32_t running, int32_t waiting, double queue_delay_ms) {
  fleet::UpstreamState state;
  state.running = running;
  state.waiting = waiting;
  state.queue_delay_ms = queue_delay_ms;
  return state;
}

std::vector<std::string> Ranking(const RoutingDecision& decision,
                                 const fleet::FleetConfig& config) {
  std::vector<std::string> names;
  for (const RankedUpstream& r : decision.ranked) names.push_back(config.upstreams()[r.index].name);
  return names;
}

std::vector<double> ScoreWith(Scorer& scorer, const RoutingRequest& request,
                              const fleet::FleetSnapshot& snapshot,
                              std::span<const Candidate> candidates) {
  RankContext context(request, snapshot);
  std::vector<double> scores(candidates.size());
  scorer.Score(context, candidates, scores);
  return scores;
}

std::string ExplainWith(const Scorer& scorer, const RoutingRequest& request,
                        const fleet::FleetSnapshot& snapshot, std::span<const Candidate> candidates,
                        uint32_t upstream) {
  RankContext context(request, snapshot);
  return scorer.Explain(context, candidates, upstream);
}

std::unique_ptr<Policy> MakePolicy(std::string_view spec, uint64_t seed) {
  base::Random random(seed);
  PolicyOptions options;
  options.max_ranked = 16;
  auto policy = PolicyRegistry::Default().Create(spec, options, random);
  TF_CHECK(policy.ok()) << policy.status().message();
  return *std::move(policy);
}

}  // namespace tokenfab::routing::testing
