#include "request_energy.h"

#include <algorithm>

#include "tokenfab/fleet/energy.h"

namespace tokenfab::gateway {

double UpstreamUtilisation(const fleet::UpstreamState& state, int32_t max_running) {
  if (max_running > 0) {
    return std::clamp(static_cast<double>(std::max(0, state.running)) / max_running, 0.0, 1.0);
  }
  return std::clamp(state.kv_usage, 0.0, 1.0);
}

RequestEnergy EstimateRequestEnergy(const fleet::FleetConfig& config, uint32_t upstream,
                                    const fleet::UpstreamState& state, int32_t max_running,
                                    int64_t served_micros) {
  const fleet::Upstream& up = config.upstreams()[upstream];
  const fleet::Site& site = config.SiteOf(up);
  RequestEnergy out;
  int32_t running = std::max(0, state.running) + 1;  // with this request
  if (max_running > 0) {
    running = std::min(running, max_running);
    out.utilisation = std::clamp(static_cast<double>(running) / max_running, 0.0, 1.0);
  } else {
    out.utilisation = std::clamp(state.kv_usage, 0.0, 1.0);
  }
  out.sharing = std::max(1, running);
  const double seconds = static_cast<double>(std::max<int64_t>(0, served_micros)) / 1e6;
  out.it_wh = up.hardware.PowerW(out.utilisation) * seconds / out.sharing / 3600.0;
  out.facility_wh = fleet::FacilityEnergyWh(site.energy, out.it_wh);
  out.carbon_g = fleet::CarbonGrams(site.energy, out.facility_wh);
  return out;
}

}  // namespace tokenfab::gateway
