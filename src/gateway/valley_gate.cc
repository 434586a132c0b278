#include "valley_gate.h"

namespace tokenfab::gateway {
std::vector<int32_t> ValleyGate::Limits(const FleetGeneration& generation) {
  std::vector<int32_t> limits;
  limits.reserve(generation.upstreams.size());
  for (const auto& up : generation.upstreams) limits.push_back(up->max_running());
  return limits;
}

ValleyOptions ValleyGate::Options(ledger::Store* store, int32_t probe_output_tokens,
                                  int64_t wall_micros) {
  ValleyOptions options;
  options.probe_output_tokens = probe_output_tokens;
  absl::MutexLock lock(&mu_);
  if (store != nullptr && (read_micros_ < 0 || wall_micros - read_micros_ >= kTierRefreshMicros)) {
    StatusOr<std::vector<ledger::Tier>> tiers = store->ListTiers();
    if (tiers.ok()) slo_ = TightestInteractiveSlo(*tiers);
    read_micros_ = wall_micros;
  }
  options.slo = slo_;
  return options;
}

std::vector<SiteRelease> ValleyGate::Plan(const FleetGeneration& generation,
                                          const fleet::FleetSnapshot& snapshot,
                                          const ValleyOptions& options) {
  return PlanRelease(snapshot, Limits(generation), options);
}

std::optional<uint32_t> ValleyGate::FlexSite(const FleetGeneration& generation,
                                             const fleet::FleetSnapshot& snapshot,
                                             const ValleyOptions& options,
                                             std::span<const uint32_t> ranked) {
  return FirstSiteWithRoom(PlanReleaseAmong(snapshot, Limits(generation), options, ranked));
}

}  // namespace tokenfab::gateway
