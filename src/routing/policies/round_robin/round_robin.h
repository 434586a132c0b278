// round-robin: rotates through the candidates, one step per request. Ignores load, cost and
// weights; the baseline every other policy is measured against.
#pragma once

#include <atomic>
#include <cstdint>

#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kRoundRobin = "round-robin";

// The candidate `k` steps after this request's turn scores 1 - k/n. Thread-safe: the rotation
// counter is atomic, so concurrent requests take distinct turns.
class RoundRobinScorer final : public Scorer {
 public:
  std::string_view name() const override { return kRoundRobin; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;

 private:
  std::atomic<uint64_t> next_{0};
};

[[nodiscard]] Status RegisterRoundRobin(PolicyRegistry& registry);

}  // namespace tokenfab::routing
