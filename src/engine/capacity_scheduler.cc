#include "engine/capacity_scheduler.h"

#include <algorithm>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {

CapacityScheduler::CapacityScheduler(const SchedulerConfig& config, KvBlockManager& kv)
    : config_(config), kv_(kv) {}

void CapacityScheduler::Enqueue(ScheduledRequest* request) {
  TF_CHECK(request->state() == RequestState::kQueued)
      << "request " << request->id() << " enqueued while " << RequestStateName(request->state());
  TF_CHECK(waiting_.insert(request).second) << "request " << request->id() << " enqueued twice";
}

void CapacityScheduler::Remove(ScheduledRequest* request) {
  if (IsRunning(request->state())) {
    TF_CHECK(EraseRunning(request));
    kv_.Free(request->id());
  } else {
    TF_CHECK(IsWaiting(request->state()))
        << "request " << request->id() << " removed while " << RequestStateName(request->state());
    TF_CHECK_EQ(waiting_.erase(request), 1u);
  }
}

bool CapacityScheduler::IsQueued(const ScheduledRequest* request) const {
  return RunningContains(request) || waiting_.contains(request);
}

void CapacityScheduler::InsertRunning(ScheduledRequest* request) {
  running_.insert(std::upper_bound(running_.begin(), running_.end(), request, Order{}), request);
}

bool CapacityScheduler::EraseRunning(const ScheduledRequest* request) {
  const auto it = std::lower_bound(running_.begin(), running_.end(), request, Order{});
  if (it == running_.end() || *it != request) return false;
  running_.erase(it);
  return true;
}

bool CapacityScheduler::RunningContains(const ScheduledRequest* request) const {
  const auto it = std::lower_bound(running_.begin(), running_.end(), request, Order{});
  return it != running_.end() && *it == request;
}

CapacityDecision CapacityScheduler::Schedule(int64_t now_us) {
  CapacityDecision decision;
  GrowRunning(now_us, &decision);
  AdmitWaiting(now_us, &decision);
  decision.running = running_;
  return decision;
}

void CapacityScheduler::GrowRunning(int64_t now_us, CapacityDecision* decision) {
  scratch_ = running_;
  for (ScheduledRequest* request : scratch_) {
    if (!IsRunning(request->state())) continue;  // preempted earlier in this loop
    while (!kv_.Grow(request->id(), request->num_tokens())) {
      ScheduledRequest* victim = running_.back();
      Preempt(victim, now_us, decision);
      if (victim == request) break;
    }
  }
}

void CapacityScheduler::AdmitWaiting(int64_t now_us, CapacityDecision* decision) {
  while (!waiting_.empty()) {
    ScheduledRequest* request = *waiting_.begin();
    const auto& preempted = decision->preempted;
    if (std::find(preempted.begin(), preempted.end(), request) != preempted.end()) return;
    if (num_running() >= config_.max_running_sequences) {
      // Full: only a more important request may take the place of the last running one.
      ScheduledRequest* last = running_.back();
      if (!config_.enable_priority_preemption || last->priority() >= request->priority()) return;
      Preempt(last, now_us, decision);
      continue;
    }
    const int32_t keep = running_.empty() ? 0 : config_.admission_reserve_blocks;
    const KvAdmission admission =
        kv_.Admit(request->id(), request->spec().tenant_salt, request->tokens(), keep);
    if (!admission.admitted) {
      const int32_t short_by = admission.blocks_needed + keep - kv_.num_available_blocks();
      if (!config_.enable_priority_preemption ||
          !PreemptForPriority(request, short_by, now_us, decision)) {
        return;
      }
      continue;  // retry with the freed blocks
    }
    waiting_.erase(waiting_.begin());
    if (!request->ever_admitted()) {
      request->SetCachedPromptTokens(
          std::min(admission.cached_tokens, request->num_prompt_tokens()));
    }
    request->SetComputedTokens(admission.cached_tokens);
    request->TransitionTo(RequestState::kPrefilling, now_us);
    InsertRunning(request);
    decision->admitted.push_back(request);
  }
}

bool CapacityScheduler::PreemptForPriority(const ScheduledRequest* request, int32_t blocks_short,
                                           int64_t now_us, CapacityDecision* decision) {
  // Blocks a victim holds alone become available when it is freed; shared ones do not.
  int32_t gain = 0;
  int32_t victims = 0;
  for (auto it = running_.rbegin(); it != running_.rend() && gain < blocks_short; ++it) {
    if ((*it)->priority() >= request->priority()) break;
    gain += kv_.NumExclusiveBlocks((*it)->id());
    ++victims;
  }
  if (victims == 0 || gain < blocks_short) return false;
  for (int32_t i = 0; i < victims; ++i) Preempt(running_.back(), now_us, decision);
  return true;
}

void CapacityScheduler::Preempt(ScheduledRequest* victim, int64_t now_us,
                                CapacityDecision* decision) {
  TF_CHECK(EraseRunning(victim));
  kv_.Free(victim->id());
  victim->SetComputedTokens(0);
  victim->TransitionTo(RequestState::kPreempted, now_us);
  waiting_.insert(victim);
  decision->preempted.push_back(victim);
  // A request admitted earlier in this step and preempted again is neither.
  auto& admitted = decision->admitted;
  admitted.erase(std::remove(admitted.begin(), admitted.end(), victim), admitted.end());
}

}  // namespace tokenfab::engine
