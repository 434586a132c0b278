#include "batch_input.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

namespace tokenfab::gateway {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kChat = "/v1/chat/completions";

std::string Line(std::string_view id, std::string_view url = kChat) {
  return fmt::format(
      R"({{"custom_id": "{}", "method": "POST", "url": "{}", "body": {{"model": "m", "messages": []}}}})",
      id, url);
}

TEST(BatchInputTest, ReadsLinesAndSkipsBlankOnes) {
  const std::string text = Line("a") + "\n\n" + Line("b") + "\r\n";
  BatchInput input = ParseBatchInput(text, kChat, 10);
  EXPECT_TRUE(input.errors.empty());
  ASSERT_EQ(input.lines.size(), 2u);
  EXPECT_EQ(input.lines[0].line, 1);
  EXPECT_EQ(input.lines[0].custom_id, "a");
  EXPECT_EQ(input.lines[1].line, 3);
  EXPECT_EQ(input.lines[1].custom_id, "b");
  EXPECT_THAT(input.lines[1].body, HasSubstr(R"("model":"m")"));
}

TEST(BatchInputTest, NamesEveryBadLineByNumber) {
  const std::string text = Line("a") + "\n" +                     // 1 ok
                           "{not json\n" +                        // 2
                           Line("a") + "\n" +                     // 3 duplicate
                           Line("c", "/v1/completions") + "\n" +  // 4 wrong url
                           R"({"method": "POST", "url": "/v1/chat/completions", "body": {}})" +
                           "\n" +       // 5 no custom_id
                           "[1, 2]\n";  // 6 not an object
  BatchInput input = ParseBatchInput(text, kChat, 10);
  ASSERT_EQ(input.errors.size(), 5u);
  EXPECT_EQ(input.errors[0].line, 2);
  EXPECT_EQ(input.errors[0].code, "invalid_json_line");
  EXPECT_EQ(input.errors[1].line, 3);
  EXPECT_EQ(input.errors[1].code, "duplicate_custom_id");
  EXPECT_EQ(input.errors[2].line, 4);
  EXPECT_EQ(input.errors[2].code, "mismatched_url");
  EXPECT_EQ(input.errors[3].line, 5);
  EXPECT_EQ(input.errors[4].line, 6);
}

TEST(BatchInputTest, TooManyLinesAndEmptyFiles) {
  const std::string text = Line("a") + "\n" + Line("b") + "\n" + Line("c") + "\n";
  BatchInput input = ParseBatchInput(text, kChat, 2);
  ASSERT_EQ(input.errors.size(), 1u);
  EXPECT_EQ(input.errors[0].code, "too_many_requests");
  BatchInput empty = ParseBatchInput("\n \n", kChat, 2);
  ASSERT_EQ(empty.errors.size(), 1u);
  EXPECT_EQ(empty.errors[0].code, "empty_file");
}

}  // namespace
}  // namespace tokenfab::gateway
