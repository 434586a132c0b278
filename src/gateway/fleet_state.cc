#include "fleet_state.h"

#include <unordered_map>

#include "absl/synchronization/mutex.h"

namespace tokenfab::gateway {

FleetState::FleetState(const base::Clock& clock, CircuitBreakerOptions breaker_options)
    : clock_(clock), breaker_options_(breaker_options) {}

std::shared_ptr<const FleetGeneration> FleetState::Install(
    std::shared_ptr<const fleet::FleetConfig> config,
    std::shared_ptr<const ModelVocabularies> vocab, std::shared_ptr<routing::Policy> policy) {
  absl::MutexLock lock(&install_mu_);
  auto next = std::make_shared<FleetGeneration>();
  std::shared_ptr<const FleetGeneration> previous = generation();
  next->number = previous ? previous->number + 1 : 1;
  next->config = config;
  next->vocabularies = std::move(vocab);
  next->policy = std::move(policy);
  std::unordered_map<std::string, std::shared_ptr<UpstreamRuntime>> old;
  if (previous) {
    for (const auto& runtime : previous->upstreams) old[runtime->identity()] = runtime;
  }
  for (const fleet::Upstream& up : config->upstreams()) {
    if (auto it = old.find(UpstreamRuntime::IdentityOf(up)); it != old.end()) {
      next->upstreams.push_back(std::move(it->second));
      old.erase(it);
      continue;
    }
    next->upstreams.push_back(std::make_shared<UpstreamRuntime>(up, clock_, breaker_options_));
    runtimes_built_.fetch_add(1, std::memory_order_relaxed);
  }
  for (auto& [identity, runtime] : old) runtime->Retire();
  generation_.store(next, std::memory_order_release);
  // Publish the new generation's states right away (kept runtimes keep their figures).
  std::vector<fleet::UpstreamState> states;
  states.reserve(next->upstreams.size());
  for (const auto& runtime : next->upstreams) states.push_back(runtime->polled());
  published_.Store(
      fleet::FleetSnapshot::Create(config, std::move(states), clock_.WallMicros(), ++version_));
  return next;
}

void FleetState::Publish() {
  absl::MutexLock lock(&install_mu_);
  std::shared_ptr<const FleetGeneration> current = generation();
  if (!current) return;
  std::vector<fleet::UpstreamState> states;
  states.reserve(current->upstreams.size());
  for (const auto& runtime : current->upstreams) states.push_back(runtime->polled());
  published_.Store(fleet::FleetSnapshot::Create(current->config, std::move(states),
                                                clock_.WallMicros(), ++version_));
}

std::shared_ptr<const fleet::FleetSnapshot> FleetState::Snapshot(
    const FleetGeneration& generation) const {
  std::vector<fleet::UpstreamState> states;
  states.reserve(generation.upstreams.size());
  for (const auto& runtime : generation.upstreams) states.push_back(runtime->Current());
  return fleet::FleetSnapshot::Create(generation.config, std::move(states), clock_.WallMicros(),
                                      version_.load(std::memory_order_relaxed));
}

}  // namespace tokenfab::gateway
