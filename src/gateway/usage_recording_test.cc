#include "usage_recording.h"

#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

// Before the upstream reports usage, a progress record on an upstream trusted with cached tokens
// prices the predicted cached prefix as cached, as the upstream's report is expected to: the
// whole prompt at the full rate would bill a cut stream more than its own event would have.
TEST(ProgressPromptUsageTest, BeforeAReportThePredictedCachedPrefixIsBilledAsCached) {
  const ReportedUsage usage = ProgressPromptUsage(std::nullopt, /*trust_cached_tokens=*/true,
                                                  {.counted = 120, .predicted_cached = 96});
  EXPECT_EQ(usage.prompt_tokens, 120);
  EXPECT_EQ(usage.cached_tokens, 96);
}

TEST(ProgressPromptUsageTest, AnUntrustedUpstreamGetsNoDiscountOnAPrediction) {
  const ReportedUsage usage = ProgressPromptUsage(std::nullopt, /*trust_cached_tokens=*/false,
                                                  {.counted = 120, .predicted_cached = 96});
  EXPECT_EQ(usage.prompt_tokens, 120);
  EXPECT_EQ(usage.cached_tokens, 0);
}

TEST(ProgressPromptUsageTest, APredictionIsNeverMoreThanThePrompt) {
  const ReportedUsage usage = ProgressPromptUsage(std::nullopt, /*trust_cached_tokens=*/true,
                                                  {.counted = 40, .predicted_cached = 64});
  EXPECT_EQ(usage.prompt_tokens, 40);
  EXPECT_EQ(usage.cached_tokens, 40);
}

// Once the upstream reported usage its word replaces the count and the prediction, as in the
// stream's own event: cached tokens only from an upstream trusted with them.
TEST(ProgressPromptUsageTest, AReportedUsageIsBilledAsTheStreamsOwnEventWouldBe) {
  const ReportedUsage reported{.prompt_tokens = 118, .completion_tokens = 7, .cached_tokens = 80};
  const ProgressPrompt prompt{.counted = 120, .predicted_cached = 96};
  const ReportedUsage trusted = ProgressPromptUsage(reported, true, prompt);
  EXPECT_EQ(trusted.prompt_tokens, 118);
  EXPECT_EQ(trusted.cached_tokens, 80);
  const ReportedUsage untrusted = ProgressPromptUsage(reported, false, prompt);
  EXPECT_EQ(untrusted.prompt_tokens, 118);
  EXPECT_EQ(untrusted.cached_tokens, 0);
}

}  // namespace
}  // namespace tokenfab::gateway
