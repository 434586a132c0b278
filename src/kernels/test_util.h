// Helpers shared by the kernel tests: random data and the instruction-set levels to run.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/random.h"
#include "tokenfab/kernels/cpu_features.h"

namespace tokenfab::kernels::testing {

inline std::vector<float> RandomVector(base::Random& random, int64_t n, double sigma = 1.0) {
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(random.Normal() * sigma);
  return v;
}

// Every level this CPU runs; a level it cannot run is reported (not silently dropped) by the test
// that lists them.
inline std::vector<IsaLevel> TestLevels() { return SupportedIsaLevels(); }

inline std::string LevelName(const ::testing::TestParamInfo<IsaLevel>& info) {
  return std::string(IsaLevelName(info.param));
}

}  // namespace tokenfab::kernels::testing
