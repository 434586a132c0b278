#include "sim/sim_gateway.h"

#include <algorithm>

#include "gateway/valley_filler.h"
#include "tokenfab/engine/block_hash.h"

namespace tokenfab::sim {

SimGateway::SimGateway(std::shared_ptr<const fleet::FleetConfig> config,
                       std::shared_ptr<routing::Policy> policy, const SimWorkloadSpec& spec,
                       base::Clock& clock)
    : clock_(clock),
      fleet_(clock, gateway::CircuitBreakerOptions{}),
      admission_(clock, counters_, nullptr) {
  generation_ = fleet_.Install(std::move(config), nullptr, std::move(policy));
  for (const TierMix& mix : spec.tiers) {
    tiers_.push_back(mix.tier);
    ledger::Tenant tenant;
    tenant.name = "tenant-" + mix.tier.name;
    tenant.tier = mix.tier.name;
    tenant.allowed_regions = mix.regions;
    tenants_.push_back(std::move(tenant));
  }
}

void SimGateway::Install(std::shared_ptr<const fleet::FleetConfig> config) {
  generation_ = fleet_.Install(std::move(config), nullptr, generation_->policy);
}

std::shared_ptr<const fleet::FleetSnapshot> SimGateway::Snapshot() const {
  return fleet_.Snapshot(*generation_);
}

std::vector<int32_t> SimGateway::MaxRunning() const {
  std::vector<int32_t> limits;
  limits.reserve(generation_->upstreams.size());
  for (const auto& up : generation_->upstreams) limits.push_back(up->max_running());
  return limits;
}

GatewayDecision SimGateway::Route(std::string_view model, uint32_t tier,
                                  std::span<const int32_t> prompt, int32_t output_tokens,
                                  std::string_view prefer_site) {
  const ledger::Tenant& tenant = tenants_[tier];
  const ledger::Tier& tier_record = tiers_[tier];
  int32_t block_tokens = 0;
  for (const auto& runtime : generation_->upstreams) {
    block_tokens = std::max(block_tokens, runtime->block_tokens());
  }
  routing::RoutingRequest request;
  request.block_tokens = block_tokens > 0 ? block_tokens : 16;
  block_hashes_ =
      engine::HashFullBlocks(prompt, request.block_tokens, engine::TenantSalt(tenant.name));
  request.model = model;
  request.tenant = tenant.name;
  request.allowed_regions = tenant.allowed_regions;
  request.slo = {static_cast<double>(tier_record.ttft_slo_ms),
                 static_cast<double>(tier_record.tpot_slo_ms)};
  request.priority = tier_record.priority;
  request.prompt_tokens = static_cast<int32_t>(prompt.size());
  request.expected_output_tokens = output_tokens;
  request.block_hashes = block_hashes_;
  std::shared_ptr<const fleet::FleetSnapshot> snapshot = Snapshot();
  routing::RoutingDecision ranked = generation_->policy->Rank(request, *snapshot);
  GatewayDecision decision;
  if (ranked.empty()) return decision;
  if (!prefer_site.empty()) gateway::PreferSite(ranked, *generation_->config, prefer_site);
  const uint32_t choice = ranked.ranked[0].index;
  const fleet::FleetConfig& config = *generation_->config;
  const fleet::Region& region = config.RegionOf(config.SiteOf(config.upstreams()[choice]));
  ledger::AdmissionRequest admit;
  admit.tenant = &tenant;
  admit.tier = &tier_record;
  admit.region = tenant.AllowsRegion(region.residency) ? region.residency : region.name;
  admit.prompt_tokens = request.prompt_tokens;
  admit.max_output_tokens = output_tokens;
  StatusOr<ledger::Admission> admission = admission_.Admit(admit);
  if (!admission.ok() || !admission->allowed()) {
    decision.rejected = true;
    return decision;
  }
  decision.ticket = std::move(*admission->ticket);
  generation_->policy->OnRouted(request, *snapshot, choice);
  generation_->upstreams[choice]->AddInFlight(1);
  decision.upstream = choice;
  return decision;
}

void SimGateway::Finish(uint32_t upstream, GatewayDecision& decision, int64_t actual_tokens) {
  generation_->upstreams[upstream]->AddInFlight(-1);
  if (decision.ticket) (void)decision.ticket->Finish(actual_tokens);
  decision.ticket.reset();
}

void SimGateway::ReportPoll(uint32_t upstream, const StatusOr<gateway::UpstreamLoad>& load,
                            int64_t rtt_micros) {
  generation_->upstreams[upstream]->ReportPoll(load, rtt_micros, clock_.WallMicros(),
                                               gateway::HealthOptions{});
}

}  // namespace tokenfab::sim
