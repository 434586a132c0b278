#include "spare_capacity.h"

#include <algorithm>
#include <cmath>

namespace tokenfab::gateway {

int32_t FreeSlots(const fleet::UpstreamState& state, int32_t max_running) {
  if (!state.healthy || state.circuit != fleet::CircuitState::kClosed) return 0;
  if (state.waiting > 0) return 0;
  const int32_t slots = max_running > 0 ? max_running : kDefaultSlots;
  return std::max(0, slots - state.outstanding());
}

void SlotUse::Add(const fleet::UpstreamState& state, int32_t max_running) {
  const int32_t limit = max_running > 0 ? max_running : kDefaultSlots;
  running += std::clamp(state.running, 0, limit);
  slots += limit;
}

double SlotUse::Ratio() const {
  return slots > 0 ? static_cast<double>(running) / static_cast<double>(slots) : 0.0;
}

TierDecision DecideServiceTier(std::string_view requested, const ledger::Tier& tier,
                               bool batch_line) {
  TierDecision d;
  if (batch_line) {
    d.served = ledger::ServiceTier::kFlex;
    d.billed = ledger::ServiceTier::kBatch;
    d.priority = kFlexPriority;
  } else if (requested == "flex") {
    d.served = d.billed = ledger::ServiceTier::kFlex;
    d.priority = kFlexPriority;
  } else if (requested == "priority") {
    d.served = d.billed = ledger::ServiceTier::kPriority;
    d.priority = tier.priority + 1;
  } else {
    d.served = d.billed = ledger::ServiceTier::kDefault;
    d.priority = tier.priority;
  }
  return d;
}

int64_t BatchInFlightCap(int64_t configured, std::span<const int32_t> max_running) {
  if (configured > 0) return configured;
  int64_t slots = 0;
  for (int32_t limit : max_running) slots += limit > 0 ? limit : kDefaultSlots;
  return slots;
}

int64_t BatchConcurrency(int64_t free_slots, int64_t own_in_flight, double window_used,
                         int64_t max_in_flight) {
  if (max_in_flight <= 0) return 0;
  const double used = std::clamp(window_used, 0.0, 1.0);
  int64_t floor = 1;
  if (used > 0.5) {
    floor = std::max<int64_t>(
        1,
        static_cast<int64_t>(std::ceil((used - 0.5) / 0.5 * static_cast<double>(max_in_flight))));
  }
  const int64_t want = std::max(own_in_flight + std::max<int64_t>(0, free_slots), floor);
  return std::min(want, max_in_flight);
}

}  // namespace tokenfab::gateway
