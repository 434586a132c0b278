#include "tokenfab/kernels/cpu_features.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "tokenfab/base/logging.h"

namespace tokenfab::kernels {
namespace {

TEST(CpuFeaturesTest, NamesRoundTrip) {
  for (IsaLevel level : {IsaLevel::kScalar, IsaLevel::kAvx2, IsaLevel::kAvx512}) {
    EXPECT_EQ(ParseIsaLevel(IsaLevelName(level)), level);
  }
  EXPECT_EQ(ParseIsaLevel("sse"), std::nullopt);
  EXPECT_EQ(ParseIsaLevel(""), std::nullopt);
}

TEST(CpuFeaturesTest, SupportedLevelsAreOrderedAndIncludeTheDetectedOne) {
  const std::vector<IsaLevel> levels = SupportedIsaLevels();
  ASSERT_FALSE(levels.empty());
  EXPECT_EQ(levels.front(), IsaLevel::kScalar);
  EXPECT_EQ(levels.back(), DetectIsaLevel());
  for (size_t i = 1; i < levels.size(); ++i) EXPECT_LT(levels[i - 1], levels[i]);
  for (IsaLevel level : levels) EXPECT_EQ(ClampIsaLevel(level), level);
  EXPECT_EQ(ClampIsaLevel(IsaLevel::kAvx512), DetectIsaLevel());
  // On this project's x86-64 build machines every level should be exercised; say so if not.
  if (levels.size() < 3) {
    std::printf("note: this CPU runs only up to %s; higher levels are not tested here\n",
                std::string(IsaLevelName(DetectIsaLevel())).c_str());
  }
}

// DefaultIsaLevel reads TOKENFAB_KERNELS once per process, so each case runs in a child process.
TEST(CpuFeaturesDeathTest, EnvironmentVariableForcesALevel) {
  for (IsaLevel level : SupportedIsaLevels()) {
    EXPECT_EXIT(
        {
          setenv("TOKENFAB_KERNELS", std::string(IsaLevelName(level)).c_str(), 1);
          std::_Exit(10 + static_cast<int>(DefaultIsaLevel()));
        },
        ::testing::ExitedWithCode(10 + static_cast<int>(level)), "");
  }
  EXPECT_EXIT(
      {
        (void)base::InitLogging("warn");
        setenv("TOKENFAB_KERNELS", "sse9", 1);
        std::_Exit(10 + static_cast<int>(DefaultIsaLevel()));
      },
      ::testing::ExitedWithCode(10 + static_cast<int>(DetectIsaLevel())), "sse9");
}

}  // namespace
}  // namespace tokenfab::kernels
