#include "usage_check.h"

#include <gtest/gtest.h>

#include "tokenfab/tokenizer/tokenizer.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::gateway {
namespace {

TEST(UsageCheckTest, HandWorkedBounds) {
  // 100 counted: up to 8 + 0.15 × max(r, 100) apart is accepted.
  EXPECT_FALSE(ReportedUsageDisagrees(100, 100));
  EXPECT_FALSE(ReportedUsageDisagrees(101, 100));  // the stop token, counted but not shown
  EXPECT_FALSE(ReportedUsageDisagrees(127, 100));  // 27 <= 8 + 0.15 × 127 = 27.05
  EXPECT_TRUE(ReportedUsageDisagrees(128, 100));   // 28 > 8 + 0.15 × 128 = 27.2
  EXPECT_FALSE(ReportedUsageDisagrees(77, 100));   // 23 <= 8 + 15
  EXPECT_TRUE(ReportedUsageDisagrees(76, 100));    // 24 > 23
  EXPECT_TRUE(ReportedUsageDisagrees(200, 100));   // billed twice what was streamed
  // Short answers: the fixed slack.
  EXPECT_FALSE(ReportedUsageDisagrees(9, 1));
  EXPECT_TRUE(ReportedUsageDisagrees(12, 1));
  EXPECT_FALSE(ReportedUsageDisagrees(0, 0));
}

// Text a model generated, encoded again: the count an honest upstream's report is compared with.
TEST(UsageCheckTest, AnHonestReportOfRealTextPassesAndAnInflatedOneDoesNot) {
  auto vocab = tokenizer::LoadVocabJson(*tokenizer::FindVocabFile("llama3"));
  ASSERT_TRUE(vocab.ok()) << vocab.status();
  auto tok = tokenizer::Tokenizer::Create(*std::move(vocab));
  ASSERT_TRUE(tok.ok()) << tok.status();
  const std::string text =
      "The hub sells tokens: every answer is metered, priced by the hour's energy and billed "
      "once. Prices differ by tier (flex and batch are cheaper), and the ledger keeps it all.";
  const std::vector<int32_t> ids = (*tok)->Encode(text, false, false);
  const int64_t generated = static_cast<int64_t>(ids.size());
  // Decoding the ids and encoding the text again gives the same count...
  const int64_t counted =
      static_cast<int64_t>((*tok)->Encode((*tok)->Decode(ids), false, false).size());
  EXPECT_EQ(counted, generated);
  // ... so an honest report (with or without the stop token) passes, an inflated one does not.
  EXPECT_FALSE(ReportedUsageDisagrees(generated, counted));
  EXPECT_FALSE(ReportedUsageDisagrees(generated + 1, counted));
  EXPECT_TRUE(ReportedUsageDisagrees(generated * 3 / 2, counted));
}

}  // namespace
}  // namespace tokenfab::gateway
