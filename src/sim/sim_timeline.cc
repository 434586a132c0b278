// The simulation's timeline (Simulation::Impl, simulation_impl.h): nodes or sites going down and
// back, drains, price changes. A drain and a price change reach the gateway as the operator
// would make them in production, by a reload of the fleet file (FleetState::Install keeps every
// upstream's polled state, in-flight count and breaker, since names and URLs do not change). A
// drained upstream stays in the file, so that indices do not move, but lists only a model name
// no request asks for.
#include <array>

#include <fmt/format.h>

#include "sim/simulation_impl.h"
#include "tokenfab/base/check.h"

namespace tokenfab::sim {
Status Simulation::Impl::ResolveTimeline() {
  for (const TimelineEvent& event : spec_.events) {
    std::vector<uint32_t> hit;
    if (!event.upstream.empty()) {
      std::optional<uint32_t> up = config_->FindUpstream(event.upstream);
      if (!up) {
        return absl::InvalidArgumentError(
            fmt::format("timeline: unknown upstream \"{}\"", event.upstream));
      }
      hit.push_back(*up);
    } else {
      std::optional<uint32_t> site = config_->FindSite(event.site);
      if (!site) {
        return absl::InvalidArgumentError(fmt::format("timeline: unknown site \"{}\"", event.site));
      }
      for (uint32_t u = 0; u < config_->upstreams().size(); ++u) {
        if (config_->upstreams()[u].site_index == *site) hit.push_back(u);
      }
    }
    if (event.action == TimelineEvent::Action::kPrice && event.site.empty()) {
      return absl::InvalidArgumentError("timeline: a price change names a site");
    }
    timeline_nodes_.push_back(std::move(hit));
  }
  live_fleet_ = config_->spec();
  drained_.assign(config_->upstreams().size(), false);
  return absl::OkStatus();
}

const fleet::FleetConfig& Simulation::Impl::Reconfigure() {
  fleet::FleetSpec spec = live_fleet_;
  for (size_t u = 0; u < drained_.size(); ++u) {
    // Not the workload's model (the only one requests ask for); a fleet file must list one.
    if (drained_[u]) spec.upstreams[u].models = {spec_.model + " (drained)"};
  }
  StatusOr<fleet::FleetConfig> config = fleet::FleetConfig::Create(std::move(spec));
  // The spec is the valid fleet's with other model names or prices: it cannot fail.
  TF_CHECK(config.ok()) << config.status();
  reloads_.push_back(std::make_shared<const fleet::FleetConfig>(*std::move(config)));
  gateway_->Install(reloads_.back());
  return *reloads_.back();
}

void Simulation::Impl::OnTimeline(uint64_t index) {
  using Action = TimelineEvent::Action;
  const TimelineEvent& event = spec_.events[index];
  const int64_t now = core_.now_us();
  bool reload = event.action == Action::kPrice;
  for (uint32_t n : timeline_nodes_[index]) {
    SimNode& node = *nodes_[n];
    switch (event.action) {
      case Action::kDown:
        node.SetDown(true, now);
        if (!node.in_step()) {
          node.FailAll(now);
          CollectTerminated(n);
        }
        break;
      case Action::kUp:
        node.SetDown(false, now);
        reload = reload || drained_[n];
        drained_[n] = false;
        break;
      case Action::kDrain:
        reload = reload || !drained_[n];
        drained_[n] = true;
        break;
      case Action::kPrice:
        break;
    }
  }
  if (event.action == Action::kPrice) {
    const uint32_t site = *config_->FindSite(event.site);
    fleet::PriceSchedule& prices = live_fleet_.sites[site].energy.prices;
    std::array<double, fleet::kHoursPerDay> hourly = prices.hourly();
    for (double& price : hourly)
      price = event.price >= 0 ? event.price : price * event.price_factor;
    prices = fleet::PriceSchedule(hourly);
  }
  if (!reload) return;
  const fleet::FleetConfig& config = Reconfigure();
  if (event.action != Action::kPrice) return;
  for (uint32_t n : timeline_nodes_[index]) {
    nodes_[n]->SetSite(config.SiteOf(config.upstreams()[n]), now);
  }
}

}  // namespace tokenfab::sim
