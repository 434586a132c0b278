#include "chat_messages.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "tokenfab/api/api_error.h"

namespace tokenfab::api {
namespace {

StatusOr<std::vector<tokenizer::ChatMessage>> Parse(const char* json_text) {
  return ParseChatMessages(boost::json::parse(json_text), 8);
}

void ExpectRejected(const char* json_text, const std::string& param) {
  auto result = Parse(json_text);
  ASSERT_FALSE(result.ok()) << json_text;
  EXPECT_EQ(ErrorParam(result.status()).value_or("<none>"), param) << result.status();
}

TEST(ChatMessagesTest, RolesAndStringContent) {
  auto messages = Parse(R"([{"role": "system", "content": "s"}, {"role": "developer",
      "content": "d"}, {"role": "user", "content": "u", "name": "ann"},
      {"role": "assistant", "content": "a"}, {"role": "tool", "content": "t",
      "tool_call_id": "call_1"}])");
  ASSERT_TRUE(messages.ok()) << messages.status();
  ASSERT_EQ(messages->size(), 5u);
  EXPECT_EQ((*messages)[0].role, "system");
  EXPECT_EQ((*messages)[1].role, "system");  // developer is the template's system turn
  EXPECT_EQ((*messages)[1].content, "d");
  EXPECT_EQ((*messages)[2].name, "ann");
  EXPECT_EQ((*messages)[3].role, "assistant");
  EXPECT_EQ((*messages)[4].tool_call_id, "call_1");
}

TEST(ChatMessagesTest, ContentPartsAreJoinedText) {
  auto messages = Parse(R"([{"role": "user", "content": [{"type": "text", "text": "one"},
                                                          {"type": "text", "text": "two"}]}])");
  ASSERT_TRUE(messages.ok()) << messages.status();
  EXPECT_EQ((*messages)[0].content, "one\ntwo");
  auto empty = Parse(R"([{"role": "user", "content": []}])");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ((*empty)[0].content, "");
}

TEST(ChatMessagesTest, AssistantMayOmitContentWhenCallingTools) {
  auto messages = Parse(R"([{"role": "user", "content": "x"}, {"role": "assistant",
      "content": null, "tool_calls": [{"id": "c", "type": "function",
      "function": {"name": "f", "arguments": "{}"}}]}])");
  ASSERT_TRUE(messages.ok()) << messages.status();
  EXPECT_FALSE((*messages)[1].content.has_value());
  EXPECT_NE((*messages)[1].tool_calls_json.find("\"name\":\"f\""), std::string::npos);
}

TEST(ChatMessagesTest, Rejections) {
  ExpectRejected(R"({})", "messages");
  ExpectRejected(R"([])", "messages");
  ExpectRejected(R"([1,2,3,4,5,6,7,8,9])", "messages");  // past the limit of 8
  ExpectRejected(R"(["hi"])", "messages[0]");
  ExpectRejected(R"([{"content": "x"}])", "messages[0].role");
  ExpectRejected(R"([{"role": 1, "content": "x"}])", "messages[0].role");
  ExpectRejected(R"([{"role": "robot", "content": "x"}])", "messages[0].role");
  ExpectRejected(R"([{"role": "user"}])", "messages[0].content");
  ExpectRejected(R"([{"role": "user", "content": 5}])", "messages[0].content");
  ExpectRejected(R"([{"role": "user", "content": "a"}, {"role": "user", "content": [5]}])",
                 "messages[1].content[0]");
  ExpectRejected(R"([{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}])",
                 "messages[0].content[0].type");
  ExpectRejected(R"([{"role": "user", "content": [{"text": "x"}]}])",
                 "messages[0].content[0].type");
  ExpectRejected(R"([{"role": "user", "content": [{"type": "text", "text": 3}]}])",
                 "messages[0].content[0].text");
  ExpectRejected(R"([{"role": "user", "content": "x", "name": 3}])", "messages[0].name");
  ExpectRejected(R"([{"role": "assistant", "tool_calls": {}}])", "messages[0].tool_calls");
}

TEST(ChatMessagesTest, UnsupportedPartTypeSaysSo) {
  auto result = Parse(R"([{"role": "user", "content": [{"type": "input_audio"}]}])");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(std::string(result.status().message()).find("input_audio"), std::string::npos);
  EXPECT_NE(std::string(result.status().message()).find("not supported"), std::string::npos);
}

}  // namespace
}  // namespace tokenfab::api
