// The valley filler: where and how much work that can wait (batch lines) is released into the
// fleet now. Pure functions of a fleet snapshot; the batch runner calls them each tick and the
// fleet twin reads the same decision.
//
// The rule, per site:
//   1. Safe room. For each healthy upstream with a closed circuit and nothing queued, the most
//      lines k <= its free slots (max_running - outstanding, spare_capacity.h) such that an
//      interactive probe request (ValleyOptions::probe_*) is still predicted
//      (routing/latency_predictor) to meet the tightest interactive SLO with `headroom` once the
//      k lines decode beside it: the k lines are added to the upstream's running requests,
//      decoding sequences and K/V positions (their prefill runs behind interactive prefill, at
//      the lowest priority, so it is not added to the queue ahead of the probe). An upstream
//      whose probe already misses gets none. An upstream that runs nothing has no measured TPOT
//      for the probe (what its node measured last is of a batch that has gone: a node's TPOT
//      ages only while it steps, so an idle one would otherwise be shut out for good by the TPOT
//      of the load it last had). A site's safe room is the sum over its upstreams.
//   2. The hour. A site's hour is cheap when its price at the local hour is at most the midpoint
//      of its day's tariff ((min + max) / 2; a flat tariff is cheap all day). In a cheap hour the
//      whole safe room is released; in a peak hour only `peak_share` of it (rounded down), so
//      with equal margin more work runs where and when power is cheap.
//   3. The order. Sites are offered cheapest first (SitePrice at the local hour, in the fleet
//      currency), then greenest (green share), then by name.
// Deadline pressure is not here: BatchConcurrency (spare_capacity.h) raises a floor over the
// released total as a batch's window runs out, and lines above the released room are routed by
// the gateway's policy like any request.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/ledger/tenant.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/routing_request.h"

namespace tokenfab::gateway {

// Plain data.
struct ValleyOptions {
  routing::SloTarget slo;             // the tightest interactive SLO (TightestInteractiveSlo)
  double headroom = 1.0;              // predicted <= headroom x SLO, (0, 1]
  int32_t probe_prompt_tokens = 512;  // the interactive request the SLO guards
  int32_t probe_output_tokens = 128;
  int32_t line_tokens = 768;  // K/V positions a released line holds while it decodes
  double peak_share = 0.5;    // share of the safe room released in a peak hour, [0, 1]
};

// One site's release. Plain data.
struct SiteRelease {
  uint32_t site = 0;       // index into the snapshot's config().sites()
  int64_t safe_slots = 0;  // lines it takes with every interactive prediction within the SLO
  int64_t release = 0;     // lines released now (safe_slots after the hour's rule)
  bool cheap_hour = true;
  double price = 0;        // fleet currency per facility kWh at its local hour
  double green_share = 0;  // [0, 1]
};

// The tightest interactive SLO among `tiers`: the least non-zero TTFT and the least non-zero
// TPOT objective (0 where no tier has one).
routing::SloTarget TightestInteractiveSlo(std::span<const ledger::Tier> tiers);

// Whether `site`'s price at the snapshot's wall time is in the cheap half of its day's tariff.
bool IsCheapHour(const fleet::Site& site, int64_t wall_micros);

// Lines upstream `upstream` takes now without an interactive SLO miss (rule 1). `max_running`
// is its slot limit (<= 0: kDefaultSlots).
int64_t SafeLines(const fleet::FleetSnapshot& snapshot, uint32_t upstream, int32_t max_running,
                  const ValleyOptions& options);

// Every site with upstreams, in the order work is offered (rule 3), with its safe room and
// release. `max_running[i]` is upstream i's slot limit (missing or <= 0: kDefaultSlots).
std::vector<SiteRelease> PlanRelease(const fleet::FleetSnapshot& snapshot,
                                     std::span<const int32_t> max_running,
                                     const ValleyOptions& options);

// PlanRelease counting only the upstreams in `among` (the others' room is not offered): the room
// for one request that only those upstreams serve (a flex request's ranked upstreams).
std::vector<SiteRelease> PlanReleaseAmong(const fleet::FleetSnapshot& snapshot,
                                          std::span<const int32_t> max_running,
                                          const ValleyOptions& options,
                                          std::span<const uint32_t> among);

// The site a deferrable request goes to now: the first of `plan` (in its order) that releases
// at least one line; nullopt when none does (the request waits).
std::optional<uint32_t> FirstSiteWithRoom(std::span<const SiteRelease> plan);

// Moves the ranked upstreams at `site` (a site name) to the front of `decision`, keeping the
// order within each part (the others stay as retries). Unchanged when none is at the site.
void PreferSite(routing::RoutingDecision& decision, const fleet::FleetConfig& config,
                std::string_view site);

}  // namespace tokenfab::gateway
