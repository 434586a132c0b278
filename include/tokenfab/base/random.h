// Random: a seeded pseudo-random generator (xoshiro256**) whose sequence is fixed by the seed
// alone, on every platform and standard library, so that a model made with `--seed 7` or a
// simulated run is the same everywhere. Not thread-safe: give each thread its own (see Fork()).
#pragma once

#include <cstdint>

namespace tokenfab::base {

class Random {
 public:
  explicit Random(uint64_t seed);

  // Uniform over all 64-bit values.
  uint64_t NextU64();
  // Uniform in [0, bound). REQUIRES: bound > 0.
  uint64_t Below(uint64_t bound);
  // Uniform in [0, 1), 53 bits of precision.
  double Uniform();
  // Standard normal (mean 0, deviation 1), Box-Muller.
  double Normal();
  // Exponential with the given rate (mean 1/rate). REQUIRES: rate > 0.
  double Exponential(double rate);

  // An independent generator derived from this one's next output.
  Random Fork();

 private:
  uint64_t state_[4];
  double spare_normal_ = 0;
  bool has_spare_normal_ = false;
};

}  // namespace tokenfab::base
