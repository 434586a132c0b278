// PredictionError: how far the latency predictor is from what requests saw at one upstream:
// the absolute relative error |predicted - observed| / observed of the most recent requests,
// summarized by its median (the target: p50 under 20 % of TTFT). Pure arithmetic.
// Not thread-safe: the owner serializes calls (UpstreamRuntime holds it behind its mutex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tokenfab::gateway {

class PredictionError {
 public:
  // Keeps the last `window` errors (>= 1).
  explicit PredictionError(size_t window = 512);

  // One request. Ignored unless both are > 0 (nothing predicted, or nothing observed).
  void Add(double predicted, double observed);

  // The median of the kept errors (the lower middle one for an even count); -1 when none.
  double P50() const;
  int64_t count() const { return count_; }  // every error added, not only the kept ones

 private:
  std::vector<double> errors_;  // ring
  size_t next_ = 0;
  int64_t count_ = 0;
};

}  // namespace tokenfab::gateway
