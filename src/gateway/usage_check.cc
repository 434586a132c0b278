#include "usage_check.h"

#include <algorithm>
#include <cstdlib>

namespace tokenfab::gateway {

bool ReportedUsageDisagrees(int64_t reported, int64_t counted) {
  const double allowed =
      static_cast<double>(kUsageSlackTokens) +
      kUsageSlackRatio * static_cast<double>(std::max(reported, counted));
  return static_cast<double>(std::abs(reported - counted)) > allowed;
}

}  // namespace tokenfab::gateway
