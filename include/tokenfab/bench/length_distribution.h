// LengthDistribution: how long synthetic prompts and answers are, in tokens. Parsed from a short
// spec:
//   "512"                 always 512
//   "uniform:100:1000"    uniform integers in [100, 1000]
//   "normal:500:100"      normal with mean 500 and deviation 100, rounded
//   "lognormal:300:0.8"   log-normal with median 300 and log-space deviation 0.8, rounded
// Every sample is clamped to [1, 10,000,000]. A plain value: copyable, thread-compatible.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/base/random.h"
#include "tokenfab/base/status.h"

namespace tokenfab::bench {

class LengthDistribution {
 public:
  enum class Kind { kFixed, kUniform, kNormal, kLogNormal };

  [[nodiscard]] static StatusOr<LengthDistribution> Parse(std::string_view spec);
  static LengthDistribution Fixed(int tokens);

  int Sample(base::Random& random) const;
  // The mean of the distribution before rounding and clamping.
  double Mean() const;
  std::string ToString() const;
  Kind kind() const { return kind_; }

 private:
  LengthDistribution(Kind kind, double a, double b) : kind_(kind), a_(a), b_(b) {}

  Kind kind_;
  double a_;  // fixed value, uniform low, normal mean, log-normal median
  double b_;  // uniform high, normal deviation, log-normal sigma
};

}  // namespace tokenfab::bench
