// Spare capacity: how much room the fleet has for work that can wait (flex requests, batch
// lines), and how a request's service_tier maps to the priority it is served at. Pure functions
// of the live upstream states; the gateway's flex gate and batch runner call them.
//
// The headroom rule (deliberately simple for now): an upstream that is healthy and whose circuit
// is closed has `slots - outstanding` free request slots, where `slots` is the upstream's
// reported max_running (or kDefaultSlots when it reports none), and nothing queued at it.
// Interactive SLO-margin prediction per site refines this later (the routing predictor).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "tokenfab/fleet/upstream_state.h"
#include "tokenfab/ledger/service_tier.h"
#include "tokenfab/ledger/tenant.h"

namespace tokenfab::gateway {

inline constexpr int32_t kDefaultSlots = 8;
// The node priority of flex and batch work: below every tier's (tiers start at 0).
inline constexpr int32_t kFlexPriority = -1;

// Free request slots of one upstream (0 when it is down, its circuit open, or it queues).
int32_t FreeSlots(const fleet::UpstreamState& state, int32_t max_running);

// The slot use of a group of upstreams (a site in /metrics): the requests they run over the sum
// of their limits (max_running, or kDefaultSlots when unreported); an upstream's running counts
// up to its limit, so the ratio is in [0, 1]; 0 for a group without upstreams. Plain data.
struct SlotUse {
  int64_t running = 0;
  int64_t slots = 0;
  void Add(const fleet::UpstreamState& state, int32_t max_running);
  double Ratio() const;
};

// The tier a request is served at and the priority passed to the node. `requested` is the body's
// service_tier ("auto", "default", "flex", "priority"); "auto" and "default" are the tenant's
// tier; "priority" is one band above the tenant's tier (the best it is entitled to: its tier's
// own traffic waits behind it); flex is kFlexPriority. A batch line is served as flex.
struct TierDecision {
  ledger::ServiceTier served = ledger::ServiceTier::kDefault;
  ledger::ServiceTier billed = ledger::ServiceTier::kDefault;
  int32_t priority = 0;
};
TierDecision DecideServiceTier(std::string_view requested, const ledger::Tier& tier,
                               bool batch_line);

// The batch lines in flight at most: `configured` when positive, else the fleet's slots (the sum
// of the upstreams' limits `max_running`, kDefaultSlots where one is unreported), so a backlog can
// fill every site rather than a fixed number fitting at the cheapest one.
int64_t BatchInFlightCap(int64_t configured, std::span<const int32_t> max_running);

// How many lines a batch runner may have in flight: the lines it already has in flight plus the
// fleet's free slots, but at least a floor that grows as the batch's window runs out (one line
// until half the window has passed, then linearly up to `max_in_flight` at the deadline), so a
// batch finishes within its window even when interactive load leaves no room. Never above
// `max_in_flight`. `window_used` is the elapsed share of the window, [0, 1].
int64_t BatchConcurrency(int64_t free_slots, int64_t own_in_flight, double window_used,
                         int64_t max_in_flight);

}  // namespace tokenfab::gateway
