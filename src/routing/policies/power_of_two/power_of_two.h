// power-of-two: draws two candidates at random and prefers the less loaded of them (Mitzenmacher's
// "power of two choices"): nearly the balance of least-load without herding every gateway onto
// the same momentarily idle upstream when snapshots are stale.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "tokenfab/base/random.h"
#include "tokenfab/routing/policy_registry.h"
#include "tokenfab/routing/scorer.h"

namespace tokenfab::routing {

inline constexpr std::string_view kPowerOfTwo = "power-of-two";

// Scores 1 for the less loaded of the two drawn (the first drawn on a tie), 0.5 for the other, 0
// for the rest (ranked after them by load). Thread-safe: the random stream is behind a mutex, and
// the sequence of draws is fixed by the seed.
class PowerOfTwoScorer final : public Scorer {
 public:
  explicit PowerOfTwoScorer(base::Random random) : random_(std::move(random)) {}

  std::string_view name() const override { return kPowerOfTwo; }
  void Score(RankContext& context, std::span<const Candidate> candidates,
             std::span<double> scores) override;

 private:
  absl::Mutex mu_;
  base::Random random_ ABSL_GUARDED_BY(mu_);
};

[[nodiscard]] Status RegisterPowerOfTwo(PolicyRegistry& registry);

}  // namespace tokenfab::routing
