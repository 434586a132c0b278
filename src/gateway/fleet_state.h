// FleetState: the gateway's view of its fleet: the configuration in force (a generation: config,
// one UpstreamRuntime per upstream, the vocabularies, and the routing policy, which the gateway
// carries from one generation to the next), and the live FleetSnapshot that routing reads.
//
// Snapshots: the poller's figures are published into a FleetSnapshotCell, swapped atomically
// whole whenever a poll lands (Publish): what the status page, /load and anyone else reading the
// fleet's polled state sees. Routing takes Snapshot(): the same polled figures with what changes
// between polls laid over them: the requests this gateway sent since each upstream last reported
// (so a burst does not pile onto the upstream that looked idle at the last poll) and each circuit
// breaker's state.
//
// Reload: Install() builds a new generation; runtimes whose identity (name, URL, key,
// incarnation) did not change move over (their breaker, in-flight count, polled state and learned
// step model with them) without a new runtime being built; the others are retired.
// Requests in flight keep the generation they started with (they hold it by shared_ptr).
//
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "model_vocabularies.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/gateway/circuit_breaker.h"
#include "tokenfab/routing/policy.h"
#include "upstream_runtime.h"

namespace tokenfab::gateway {

// One configuration in force. Immutable once installed.
struct FleetGeneration {
  uint64_t number = 0;  // 1 for the first, +1 per reload
  std::shared_ptr<const fleet::FleetConfig> config;
  std::vector<std::shared_ptr<UpstreamRuntime>> upstreams;  // by config upstream index
  std::shared_ptr<const ModelVocabularies> vocabularies;
  std::shared_ptr<routing::Policy> policy;  // Rank/OnRouted are thread-safe
};

class FleetState {
 public:
  FleetState(const base::Clock& clock, CircuitBreakerOptions breaker_options);

  // Makes `config` (with its vocabularies and policy) the generation in force; returns it.
  std::shared_ptr<const FleetGeneration> Install(std::shared_ptr<const fleet::FleetConfig> config,
                                                 std::shared_ptr<const ModelVocabularies> vocab,
                                                 std::shared_ptr<routing::Policy> policy);

  // The generation in force (null before the first Install).
  std::shared_ptr<const FleetGeneration> generation() const {
    return generation_.load(std::memory_order_acquire);
  }

  // Rebuilds the published snapshot from the runtimes' polled figures.
  void Publish();
  // The snapshot last published (polled figures only).
  std::shared_ptr<const fleet::FleetSnapshot> Published() const { return published_.Load(); }

  // What routing reads now for `generation`: the polled figures with in-flight requests and
  // breaker states laid over them (UpstreamRuntime::Current).
  std::shared_ptr<const fleet::FleetSnapshot> Snapshot(const FleetGeneration& generation) const;

  // UpstreamRuntimes built so far: one per upstream of the first generation, then one per
  // upstream a reload adds or changes (a kept one is moved over, not rebuilt).
  int64_t runtimes_built() const { return runtimes_built_.load(std::memory_order_relaxed); }

 private:
  const base::Clock& clock_;
  const CircuitBreakerOptions breaker_options_;
  absl::Mutex install_mu_;  // serialises Install and Publish
  std::atomic<std::shared_ptr<const FleetGeneration>> generation_;
  fleet::FleetSnapshotCell published_;
  std::atomic<uint64_t> version_{0};
  std::atomic<int64_t> runtimes_built_{0};
};

}  // namespace tokenfab::gateway
