// ValleyGate: the gateway's one home for "is there room for work that can wait here, now". The
// batch runner (for its lines) and the relay (for flex requests) both ask it, so flex and batch
// are released by the same valley-filling decision (valley_filler.h): interactive SLO margin per
// upstream, the site's hour (a share of the room in a peak hour), cheapest and greenest first.
//
// It builds the filler's options from the ledger's tiers (the tightest interactive SLO, re-read
// at most every kTierRefreshMicros; the last good read is kept when one fails) and the gateway's
// default output tokens (the probe's), and plans on the fleet's live state with each upstream's
// max_running. Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "fleet_state.h"
#include "tokenfab/ledger/store.h"
#include "valley_filler.h"

namespace tokenfab::gateway {

class ValleyGate {
 public:
  static constexpr int64_t kTierRefreshMicros = 5'000'000;

  // The filler's options at `wall_micros` (tiers from `store`; null: no SLO known).
  ValleyOptions Options(ledger::Store* store, int32_t probe_output_tokens, int64_t wall_micros)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Each upstream's slot limit (max_running as polled; 0 unreported), by config index.
  static std::vector<int32_t> Limits(const FleetGeneration& generation);

  // PlanRelease (valley_filler.h) on `snapshot` of `generation`.
  static std::vector<SiteRelease> Plan(const FleetGeneration& generation,
                                       const fleet::FleetSnapshot& snapshot,
                                       const ValleyOptions& options);

  // The site a flex request whose ranked upstreams are `ranked` goes to now (an index into the
  // config's sites), or nullopt: none of them has released room, and it waits.
  static std::optional<uint32_t> FlexSite(const FleetGeneration& generation,
                                          const fleet::FleetSnapshot& snapshot,
                                          const ValleyOptions& options,
                                          std::span<const uint32_t> ranked);

 private:
  absl::Mutex mu_;
  routing::SloTarget slo_ ABSL_GUARDED_BY(mu_);
  int64_t read_micros_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace tokenfab::gateway
