#include "valley_filler.h"

#include <algorithm>
#include <cmath>

#include "spare_capacity.h"
#include "tokenfab/fleet/energy.h"
#include "tokenfab/routing/latency_predictor.h"

namespace tokenfab::gateway {
namespace {

// Whether the probe meets the SLO at `upstream` with `lines` more lines decoding there.
bool ProbeMeets(const fleet::FleetSnapshot& snapshot, uint32_t upstream, int64_t lines,
                const ValleyOptions& options) {
  std::vector<fleet::UpstreamState> states(snapshot.states().begin(), snapshot.states().end());
  fleet::UpstreamState& state = states[upstream];
  // A node's measured TPOT ages only while it steps: on an upstream that runs nothing it is the
  // TPOT of a batch that has gone (the last load it had), no prediction of what lines would see.
  if (state.outstanding() == 0) state.tpot_ms = 0;
  const int32_t added = static_cast<int32_t>(lines);
  state.running += added;
  if (state.decode_sequences >= 0) state.decode_sequences += added;
  if (state.kv_tokens >= 0) state.kv_tokens += lines * options.line_tokens;
  const std::shared_ptr<const fleet::FleetSnapshot> what_if = fleet::FleetSnapshot::Create(
      snapshot.shared_config(), std::move(states), snapshot.wall_micros(), snapshot.version());
  const fleet::Upstream& up = snapshot.config().upstreams()[upstream];
  routing::RoutingRequest probe;
  probe.model = up.models.empty() ? std::string_view() : std::string_view(up.models.front());
  probe.slo = options.slo;
  probe.prompt_tokens = options.probe_prompt_tokens;
  probe.expected_output_tokens = options.probe_output_tokens;
  const routing::LatencyPrediction p = routing::PredictLatency(probe, *what_if, upstream);
  return routing::PredictedToMeet(p, options.slo, options.headroom);
}

}  // namespace

routing::SloTarget TightestInteractiveSlo(std::span<const ledger::Tier> tiers) {
  routing::SloTarget slo;
  for (const ledger::Tier& tier : tiers) {
    const auto take = [](double& into, int64_t value) {
      if (value > 0 && (into == 0 || static_cast<double>(value) < into)) {
        into = static_cast<double>(value);
      }
    };
    take(slo.ttft_ms, tier.ttft_slo_ms);
    take(slo.tpot_ms, tier.tpot_slo_ms);
  }
  return slo;
}

bool IsCheapHour(const fleet::Site& site, int64_t wall_micros) {
  const fleet::PriceSchedule& prices = site.energy.prices;
  const int hour = fleet::LocalHourOfDay(wall_micros, site.utc_offset_minutes);
  return prices.AtHour(hour) <= (prices.Min() + prices.Max()) / 2;
}

int64_t SafeLines(const fleet::FleetSnapshot& snapshot, uint32_t upstream, int32_t max_running,
                  const ValleyOptions& options) {
  const int64_t free = FreeSlots(snapshot.state(upstream), max_running);
  if (free <= 0 || !ProbeMeets(snapshot, upstream, 0, options)) return 0;
  // The probe's prediction only grows with more lines: the largest k in [0, free] that meets.
  int64_t lo = 0, hi = free;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    if (ProbeMeets(snapshot, upstream, mid, options)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

namespace {

// PlanRelease over the upstreams with counted[u] (every upstream when `counted` is empty).
std::vector<SiteRelease> Plan(const fleet::FleetSnapshot& snapshot,
                              std::span<const int32_t> max_running, const ValleyOptions& options,
                              const std::vector<bool>& counted) {
  const fleet::FleetConfig& config = snapshot.config();
  std::vector<SiteRelease> sites(config.sites().size());
  std::vector<bool> has_upstreams(sites.size(), false);
  for (uint32_t s = 0; s < sites.size(); ++s) {
    const fleet::Site& site = config.sites()[s];
    sites[s].site = s;
    sites[s].cheap_hour = IsCheapHour(site, snapshot.wall_micros());
    sites[s].price = snapshot.SitePrice(s);
    sites[s].green_share = site.energy.green_share;
  }
  for (uint32_t u = 0; u < config.upstreams().size(); ++u) {
    if (!counted.empty() && !counted[u]) continue;
    const uint32_t s = config.upstreams()[u].site_index;
    has_upstreams[s] = true;
    const int32_t limit = u < max_running.size() ? max_running[u] : 0;
    sites[s].safe_slots += SafeLines(snapshot, u, limit, options);
  }
  const double peak_share = std::clamp(options.peak_share, 0.0, 1.0);
  std::vector<SiteRelease> out;
  for (uint32_t s = 0; s < sites.size(); ++s) {
    if (!has_upstreams[s]) continue;
    SiteRelease& r = sites[s];
    r.release =
        r.cheap_hour
            ? r.safe_slots
            : static_cast<int64_t>(std::floor(static_cast<double>(r.safe_slots) * peak_share));
    out.push_back(r);
  }
  std::stable_sort(out.begin(), out.end(), [&](const SiteRelease& a, const SiteRelease& b) {
    if (a.price != b.price) return a.price < b.price;
    if (a.green_share != b.green_share) return a.green_share > b.green_share;
    return config.sites()[a.site].name < config.sites()[b.site].name;
  });
  return out;
}

}  // namespace

std::vector<SiteRelease> PlanRelease(const fleet::FleetSnapshot& snapshot,
                                     std::span<const int32_t> max_running,
                                     const ValleyOptions& options) {
  return Plan(snapshot, max_running, options, {});
}

std::vector<SiteRelease> PlanReleaseAmong(const fleet::FleetSnapshot& snapshot,
                                          std::span<const int32_t> max_running,
                                          const ValleyOptions& options,
                                          std::span<const uint32_t> among) {
  std::vector<bool> counted(snapshot.config().upstreams().size(), false);
  for (uint32_t u : among) {
    if (u < counted.size()) counted[u] = true;
  }
  if (std::find(counted.begin(), counted.end(), true) == counted.end()) return {};
  return Plan(snapshot, max_running, options, counted);
}

std::optional<uint32_t> FirstSiteWithRoom(std::span<const SiteRelease> plan) {
  for (const SiteRelease& r : plan) {
    if (r.release > 0) return r.site;
  }
  return std::nullopt;
}

void PreferSite(routing::RoutingDecision& decision, const fleet::FleetConfig& config,
                std::string_view site) {
  std::stable_partition(
      decision.ranked.begin(), decision.ranked.end(),
      [&](const routing::RankedUpstream& r) { return config.upstreams()[r.index].site == site; });
}

}  // namespace tokenfab::gateway
