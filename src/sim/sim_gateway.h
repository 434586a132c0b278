// SimGateway: the gateway's decisions on simulated time, made by the gateway's own classes:
// FleetState and its UpstreamRuntimes (polled figures folded in by ReportPoll, this gateway's
// in-flight requests laid over them by Current(), exactly as the gateway's snapshots), the routing
// policy from the PolicyRegistry (any spec the gateway accepts), and the ledger's
// AdmissionController over in-process LocalCounters (no store: token budgets are not enforced,
// as in a gateway without a ledger store; RPM, TPM and concurrency are).
//
// Tenants: one per tier ("tenant-<tier>"), allowed the tier's regions.
// Internal to the simulator. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/fleet_state.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/rate_counters.h"
#include "tokenfab/routing/policy.h"
#include "tokenfab/sim/workload_spec.h"

namespace tokenfab::sim {

// What routing decided for one request.
struct GatewayDecision {
  std::optional<uint32_t> upstream;               // the choice; none: rejected or no upstream
  std::optional<ledger::AdmissionTicket> ticket;  // held while the request runs
  bool rejected = false;                          // by admission (else: no upstream could take it)
};

class SimGateway {
 public:
  // `clock` is the simulation's (it must outlive the gateway).
  SimGateway(std::shared_ptr<const fleet::FleetConfig> config,
             std::shared_ptr<routing::Policy> policy, const SimWorkloadSpec& spec,
             base::Clock& clock);

  // Routes and admits a request of `tier` for `model`, as RequestRelay does: rank on the current
  // snapshot, admit for the first choice's region, then OnRouted and one more in flight there.
  // `prefer_site` (a batch line's release site, as its x-tokenfab-batch-site) moves that site's
  // upstreams first (gateway::PreferSite).
  GatewayDecision Route(std::string_view model, uint32_t tier, std::span<const int32_t> prompt,
                        int32_t output_tokens, std::string_view prefer_site = {});
  // Each upstream's slot limit as the gateway knows it (polled max_running).
  std::vector<int32_t> MaxRunning() const;
  // The request sent to `upstream` ended (its response reached the gateway).
  void Finish(uint32_t upstream, GatewayDecision& decision, int64_t actual_tokens);

  // Folds a poll of `upstream` (its load, or why the poll failed) in, as the poller does.
  void ReportPoll(uint32_t upstream, const StatusOr<gateway::UpstreamLoad>& load,
                  int64_t rtt_micros);

  // Reloads the fleet file as the gateway does (FleetState::Install), with the same policy:
  // upstreams keep their polled state, in-flight counts and breakers (names and URLs must not
  // change). The timeline's drains and price changes come this way.
  void Install(std::shared_ptr<const fleet::FleetConfig> config);

  // What routing sees now.
  std::shared_ptr<const fleet::FleetSnapshot> Snapshot() const;
  routing::Policy& policy() { return *generation_->policy; }
  const ledger::Tenant& tenant(uint32_t tier) const { return tenants_[tier]; }
  const ledger::Tier& tier(uint32_t tier) const { return tiers_[tier]; }

 private:
  base::Clock& clock_;
  gateway::FleetState fleet_;
  std::shared_ptr<const gateway::FleetGeneration> generation_;
  ledger::LocalCounters counters_;
  ledger::AdmissionController admission_;
  std::vector<ledger::Tier> tiers_;
  std::vector<ledger::Tenant> tenants_;
  std::vector<uint64_t> block_hashes_;  // scratch
};

}  // namespace tokenfab::sim
