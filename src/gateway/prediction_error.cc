#include "prediction_error.h"

#include <algorithm>
#include <cmath>

namespace tokenfab::gateway {

PredictionError::PredictionError(size_t window) { errors_.reserve(std::max<size_t>(window, 1)); }

void PredictionError::Add(double predicted, double observed) {
  if (!(predicted > 0) || !(observed > 0)) return;
  const double error = std::abs(predicted - observed) / observed;
  if (errors_.size() < errors_.capacity()) {
    errors_.push_back(error);
  } else {
    errors_[next_] = error;
    next_ = (next_ + 1) % errors_.size();
  }
  ++count_;
}

double PredictionError::P50() const {
  if (errors_.empty()) return -1;
  std::vector<double> sorted = errors_;
  const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>((sorted.size() - 1) / 2);
  std::nth_element(sorted.begin(), middle, sorted.end());
  return *middle;
}

}  // namespace tokenfab::gateway
