// FleetSnapshot: the fleet as routing sees it at one instant: the (immutable) configuration, the
// live state of every upstream, and the wall time the snapshot describes (for hour-of-day prices).
// The gateway builds a new snapshot whenever it learns something and swaps it in whole through a
// FleetSnapshotCell; the simulator builds one per decision on simulated time. Policies read
// snapshots and never change them.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/upstream_state.h"

namespace tokenfab::fleet {

// Immutable after Create; thread-safe to read. Shares its config with other snapshots.
class FleetSnapshot {
 public:
  // REQUIRES: config != nullptr; states.size() == config->upstreams().size() (state i belongs
  // to upstream i).
  static std::shared_ptr<const FleetSnapshot> Create(std::shared_ptr<const FleetConfig> config,
                                                     std::vector<UpstreamState> states,
                                                     int64_t wall_micros, uint64_t version = 0);

  // Every upstream in its default state (healthy, idle, nothing measured): the snapshot before
  // the first poll.
  static std::shared_ptr<const FleetSnapshot> Initial(std::shared_ptr<const FleetConfig> config,
                                                      int64_t wall_micros);

  // A snapshot over a reloaded `config` that keeps the live state of every upstream whose name
  // and URL did not change; new or moved upstreams start in the default state.
  static std::shared_ptr<const FleetSnapshot> Reconfigure(const FleetSnapshot& previous,
                                                          std::shared_ptr<const FleetConfig> config,
                                                          int64_t wall_micros);

  const FleetConfig& config() const { return *config_; }
  const std::shared_ptr<const FleetConfig>& shared_config() const { return config_; }
  std::span<const UpstreamState> states() const { return states_; }
  const UpstreamState& state(uint32_t upstream) const { return states_[upstream]; }
  int64_t wall_micros() const { return wall_micros_; }  // µs since the Unix epoch
  uint64_t version() const { return version_; }

  // Price of one facility kWh at site `site` at wall_micros(), in the fleet currency.
  double SitePrice(uint32_t site) const { return site_prices_[site]; }

 private:
  FleetSnapshot() = default;

  std::shared_ptr<const FleetConfig> config_;
  std::vector<UpstreamState> states_;
  std::vector<double> site_prices_;  // fleet currency per kWh, by site index
  int64_t wall_micros_ = 0;
  uint64_t version_ = 0;
};

// Holds the current snapshot for many readers and one or more writers. Load() returns the
// snapshot current at the call, which stays valid for as long as the caller holds it; Store()
// swaps in a new one atomically. Thread-safe.
class FleetSnapshotCell {
 public:
  FleetSnapshotCell() = default;
  explicit FleetSnapshotCell(std::shared_ptr<const FleetSnapshot> initial)
      : current_(std::move(initial)) {}

  std::shared_ptr<const FleetSnapshot> Load() const {
    return current_.load(std::memory_order_acquire);
  }
  void Store(std::shared_ptr<const FleetSnapshot> snapshot) {
    current_.store(std::move(snapshot), std::memory_order_release);
  }

 private:
  std::atomic<std::shared_ptr<const FleetSnapshot>> current_;
};

}  // namespace tokenfab::fleet
