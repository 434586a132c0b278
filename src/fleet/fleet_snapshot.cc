#include "tokenfab/fleet/fleet_snapshot.h"

#include "tokenfab/base/check.h"

namespace tokenfab::fleet {

std::shared_ptr<const FleetSnapshot> FleetSnapshot::Create(
    std::shared_ptr<const FleetConfig> config, std::vector<UpstreamState> states,
    int64_t wall_micros, uint64_t version) {
  TF_CHECK(config != nullptr);
  TF_CHECK_EQ(states.size(), config->upstreams().size());
  std::shared_ptr<FleetSnapshot> snapshot(new FleetSnapshot());
  snapshot->site_prices_.reserve(config->sites().size());
  for (const Site& site : config->sites()) {
    snapshot->site_prices_.push_back(PriceAt(site.energy, site.utc_offset_minutes, wall_micros));
  }
  snapshot->config_ = std::move(config);
  snapshot->states_ = std::move(states);
  snapshot->wall_micros_ = wall_micros;
  snapshot->version_ = version;
  return snapshot;
}

std::shared_ptr<const FleetSnapshot> FleetSnapshot::Initial(
    std::shared_ptr<const FleetConfig> config, int64_t wall_micros) {
  TF_CHECK(config != nullptr);
  std::vector<UpstreamState> states(config->upstreams().size());
  return Create(std::move(config), std::move(states), wall_micros);
}

std::shared_ptr<const FleetSnapshot> FleetSnapshot::Reconfigure(
    const FleetSnapshot& previous, std::shared_ptr<const FleetConfig> config, int64_t wall_micros) {
  TF_CHECK(config != nullptr);
  std::vector<UpstreamState> states(config->upstreams().size());
  const FleetConfig& before = previous.config();
  for (uint32_t i = 0; i < states.size(); ++i) {
    const Upstream& up = config->upstreams()[i];
    auto old = before.FindUpstream(up.name);
    if (old && before.upstreams()[*old].url == up.url) states[i] = previous.state(*old);
  }
  return Create(std::move(config), std::move(states), wall_micros, previous.version() + 1);
}

}  // namespace tokenfab::fleet
