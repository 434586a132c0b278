// Batch work in the twin: the gateway's batch runner on simulated time. The decisions are the
// gateway's own functions (gateway/valley_filler.h, gateway/spare_capacity.h,
// gateway/tenant_fair_share.h); what is modelled is only the runner's loop around them.
#include <algorithm>
#include <vector>

#include "gateway/spare_capacity.h"
#include "sim/simulation_impl.h"

namespace tokenfab::sim {
namespace {

constexpr int64_t kTickMicros = 100'000;  // the batch runner's tick

}  // namespace

void Simulation::Impl::InitBatches() {
  interactive_ = plan_.size();
  batch_pending_.assign(spec_.tiers.size(), {});
  std::vector<ledger::Tier> interactive;
  int64_t first_submit = -1;
  for (uint64_t i = 0; i < plan_.size(); ++i) {
    const TierMix& mix = spec_.tiers[plan_[i].tier];
    if (!mix.batch()) continue;
    interactive_ = std::min(interactive_, i);
    batch_pending_[plan_[i].tier].push_back(i);
    const int64_t submit = plan_[i].arrival_us;
    first_submit = first_submit < 0 ? submit : std::min(first_submit, submit);
  }
  for (const TierMix& mix : spec_.tiers) {
    if (!mix.batch()) interactive.push_back(mix.tier);
  }
  valley_.slo = gateway::TightestInteractiveSlo(interactive);
  if (first_submit >= 0) core_.At(first_submit, kValleyTick);
}

void Simulation::Impl::OnValleyTick() {
  const int64_t now = core_.now_us();
  std::vector<uint32_t> ready;
  double window_used = 0;
  bool pending = false;
  for (uint32_t t = 0; t < batch_pending_.size(); ++t) {
    std::deque<uint64_t>& lines = batch_pending_[t];
    if (lines.empty()) continue;
    const TierMix& mix = spec_.tiers[t];
    const auto submit = static_cast<int64_t>(mix.submit_s * 1e6);
    const auto window = static_cast<int64_t>(mix.window_s * 1e6);
    if (now < submit) {
      pending = true;
      continue;
    }
    if (now >= submit + window) {
      // Expired: what was not sent is not run (the output's batch_expired lines).
      for (uint64_t index : lines) End(index, RequestOutcome::End::kUnfinished, now);
      lines.clear();
      continue;
    }
    pending = true;
    ready.push_back(t);
    window_used = std::max(window_used, static_cast<double>(now - submit) / window);
  }
  if (!ready.empty()) {
    std::vector<gateway::SiteRelease> release =
        gateway::PlanRelease(*gateway_->Snapshot(), gateway_->MaxRunning(), valley_);
    int64_t released = 0;
    for (const gateway::SiteRelease& r : release) released += r.release;
    const int64_t allowed = gateway::BatchConcurrency(
        released, batch_in_flight_, window_used,
        gateway::BatchInFlightCap(spec_.max_batch_in_flight, gateway_->MaxRunning()));
    size_t site = 0;
    while (batch_in_flight_ < allowed && !ready.empty()) {
      std::vector<gateway::TenantFairShare::Head> heads;
      for (uint32_t t : ready) {
        const SimRequest& next = plan_[batch_pending_[t].front()];
        heads.push_back(
            {gateway_->tenant(t).name, int64_t{next.input_tokens} + next.output_tokens});
      }
      const size_t pick = *fair_share_.Next(heads);
      const uint32_t t = ready[pick];
      const uint64_t index = batch_pending_[t].front();
      batch_pending_[t].pop_front();
      if (batch_pending_[t].empty()) ready.erase(ready.begin() + static_cast<ptrdiff_t>(pick));
      while (site < release.size() && release[site].release == 0) ++site;
      std::string_view where;
      if (site < release.size()) {
        --release[site].release;
        where = config_->sites()[release[site].site].name;
      }
      if (Dispatch(index, where)) ++batch_in_flight_;
    }
  }
  if (pending) core_.After(kTickMicros, kValleyTick);
}

void Simulation::Impl::OnBatchLineEnd(uint64_t index) {
  --batch_in_flight_;
  const SimRequest& line = plan_[index];
  const RequestOutcome& outcome = outcomes_[index];
  fair_share_.Settle(gateway_->tenant(line.tier).name,
                     int64_t{line.input_tokens} + line.output_tokens,
                     int64_t{outcome.prompt_tokens} + outcome.generated_tokens);
}

}  // namespace tokenfab::sim
