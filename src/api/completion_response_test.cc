#include "tokenfab/api/completion_response.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "tokenfab/api/model_list.h"

namespace tokenfab::api {
namespace {

namespace json = boost::json;

ResponseMeta Meta(Endpoint endpoint) {
  ResponseMeta meta;
  meta.endpoint = endpoint;
  meta.id = MakeResponseId(endpoint, 0xabcdef, 7);
  meta.created = 1700000000;
  meta.model = "demo";
  return meta;
}

TEST(CompletionResponseTest, ResponseIds) {
  EXPECT_EQ(MakeResponseId(Endpoint::kChatCompletions, 1, 2), "chatcmpl-000000000000000100000002");
  EXPECT_EQ(MakeResponseId(Endpoint::kCompletions, 0xff, 0).substr(0, 5), "cmpl-");
}

TEST(CompletionResponseTest, ChatCompletionObject) {
  Usage usage{10, 3, 8};
  std::vector<ChoiceResult> choices(2);
  choices[0].text = "Hello";
  choices[0].finish_reason = "stop";
  choices[1].index = 1;
  choices[1].text = "Hi";
  choices[1].finish_reason = "length";
  const json::value v =
      json::parse(CompletionResponseJson(Meta(Endpoint::kChatCompletions), choices, usage));
  EXPECT_EQ(v.at("object").as_string(), "chat.completion");
  EXPECT_EQ(v.at("model").as_string(), "demo");
  EXPECT_EQ(v.at("created").as_int64(), 1700000000);
  EXPECT_EQ(v.at("id").as_string().subview().substr(0, 9), "chatcmpl-");
  const json::array& c = v.at("choices").as_array();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].at("message").at("role").as_string(), "assistant");
  EXPECT_EQ(c[0].at("message").at("content").as_string(), "Hello");
  EXPECT_TRUE(c[0].at("logprobs").is_null());
  EXPECT_EQ(c[0].at("finish_reason").as_string(), "stop");
  EXPECT_EQ(c[1].at("index").as_int64(), 1);
  EXPECT_EQ(c[1].at("finish_reason").as_string(), "length");
  const json::object& u = v.at("usage").as_object();
  EXPECT_EQ(u.at("prompt_tokens").as_int64(), 10);
  EXPECT_EQ(u.at("completion_tokens").as_int64(), 3);
  EXPECT_EQ(u.at("total_tokens").as_int64(), 13);
  EXPECT_EQ(u.at("prompt_tokens_details").at("cached_tokens").as_int64(), 8);
}

TEST(CompletionResponseTest, TextCompletionWithLogprobs) {
  std::vector<ChoiceResult> choices(1);
  choices[0].text = "ab";
  choices[0].finish_reason = "length";
  choices[0].logprobs = std::vector<LogprobEntry>{
      {"a", -0.5f, {{"a", -0.5f}, {"b", -1.0f}}, 0}, {"b", -0.25f, {{"b", -0.25f}}, 1}};
  const json::value v = json::parse(
      CompletionResponseJson(Meta(Endpoint::kCompletions), choices, Usage{1, 2, 0}));
  EXPECT_EQ(v.at("object").as_string(), "text_completion");
  const json::object& c = v.at("choices").as_array()[0].as_object();
  EXPECT_EQ(c.at("text").as_string(), "ab");
  const json::object& lp = c.at("logprobs").as_object();
  EXPECT_EQ(lp.at("tokens").as_array()[1].as_string(), "b");
  EXPECT_DOUBLE_EQ(lp.at("token_logprobs").as_array()[0].as_double(), -0.5);
  EXPECT_DOUBLE_EQ(lp.at("top_logprobs").as_array()[0].at("b").as_double(), -1.0);
  EXPECT_EQ(lp.at("text_offset").as_array()[1].as_int64(), 1);
}

TEST(CompletionResponseTest, ChatLogprobsCarryBytes) {
  std::vector<LogprobEntry> entries{{"\xc3\xa9", -0.1f, {{"\xc3", -2.0f}}, 0}};
  StreamChunkFormatter f(Meta(Endpoint::kChatCompletions), false);
  ChoiceDelta d;
  d.text = "\xc3\xa9";
  d.logprobs = &entries;
  const json::value v = json::parse(f.Chunk(d));
  const json::object& e =
      v.at("choices").as_array()[0].at("logprobs").at("content").as_array()[0].as_object();
  EXPECT_EQ(e.at("token").as_string(), "\xc3\xa9");
  EXPECT_EQ(e.at("bytes").as_array().size(), 2u);
  EXPECT_EQ(e.at("bytes").as_array()[0].as_int64(), 0xc3);
  const json::object& top = e.at("top_logprobs").as_array()[0].as_object();
  EXPECT_EQ(top.at("token").as_string(), "\xef\xbf\xbd");  // a lone lead byte is not text
  EXPECT_EQ(top.at("bytes").as_array()[0].as_int64(), 0xc3);
}

TEST(CompletionResponseTest, ChatStreamChunks) {
  StreamChunkFormatter f(Meta(Endpoint::kChatCompletions), true);
  ChoiceDelta first;
  first.first = true;
  json::value v = json::parse(f.Chunk(first));
  EXPECT_EQ(v.at("object").as_string(), "chat.completion.chunk");
  const json::object& c0 = v.at("choices").as_array()[0].as_object();
  EXPECT_EQ(c0.at("delta").at("role").as_string(), "assistant");
  EXPECT_EQ(c0.at("delta").at("content").as_string(), "");
  EXPECT_TRUE(c0.at("finish_reason").is_null());
  EXPECT_TRUE(v.at("usage").is_null());

  ChoiceDelta text;
  text.index = 2;
  text.text = "Hel";
  v = json::parse(f.Chunk(text));
  const json::object& c1 = v.at("choices").as_array()[0].as_object();
  EXPECT_EQ(c1.at("index").as_int64(), 2);
  EXPECT_FALSE(c1.at("delta").as_object().contains("role"));
  EXPECT_EQ(c1.at("delta").at("content").as_string(), "Hel");

  ChoiceDelta last;
  last.finish_reason = "stop";
  v = json::parse(f.Chunk(last));
  const json::object& c2 = v.at("choices").as_array()[0].as_object();
  EXPECT_TRUE(c2.at("delta").as_object().empty());
  EXPECT_EQ(c2.at("finish_reason").as_string(), "stop");

  v = json::parse(f.UsageChunk(Usage{4, 5, 0}));
  EXPECT_TRUE(v.at("choices").as_array().empty());
  EXPECT_EQ(v.at("usage").at("total_tokens").as_int64(), 9);
}

TEST(CompletionResponseTest, CompletionStreamChunksWithoutUsage) {
  StreamChunkFormatter f(Meta(Endpoint::kCompletions), false);
  ChoiceDelta d;
  d.text = "x";
  d.finish_reason = "length";
  const json::value v = json::parse(f.Chunk(d));
  EXPECT_EQ(v.at("object").as_string(), "text_completion");
  EXPECT_FALSE(v.as_object().contains("usage"));
  EXPECT_EQ(v.at("choices").as_array()[0].at("text").as_string(), "x");
  EXPECT_EQ(v.at("choices").as_array()[0].at("finish_reason").as_string(), "length");
}

TEST(CompletionResponseTest, ValidUtf8ReplacesBadBytesOnly) {
  EXPECT_EQ(ValidUtf8("plain"), "plain");
  EXPECT_EQ(ValidUtf8("\xe4\xbd\xa0\xf0\x9f\x98\x80"), "\xe4\xbd\xa0\xf0\x9f\x98\x80");
  EXPECT_EQ(ValidUtf8("a\xff" "b"), "a\xef\xbf\xbd" "b");
  EXPECT_EQ(ValidUtf8("\xe4\xbd"), "\xef\xbf\xbd\xef\xbf\xbd");      // truncated
  EXPECT_EQ(ValidUtf8("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");      // overlong
  EXPECT_EQ(ValidUtf8("\xed\xa0\x80").size(), 9u);                  // surrogate
  EXPECT_EQ(ValidUtf8("\xf4\x90\x80\x80").size(), 12u);             // past U+10FFFF
  // Non-text bytes survive JSON serialisation as valid text.
  StreamChunkFormatter f(Meta(Endpoint::kCompletions), false);
  ChoiceDelta d;
  d.text = "\xff";
  EXPECT_EQ(json::parse(f.Chunk(d)).at("choices").as_array()[0].at("text").as_string(),
            "\xef\xbf\xbd");
}

TEST(ModelListTest, Shapes) {
  const json::value v = json::parse(ModelListJson({{"demo", 1700000000, "tokenfab", 4096}}));
  EXPECT_EQ(v.at("object").as_string(), "list");
  const json::object& m = v.at("data").as_array()[0].as_object();
  EXPECT_EQ(m.at("id").as_string(), "demo");
  EXPECT_EQ(m.at("object").as_string(), "model");
  EXPECT_EQ(m.at("owned_by").as_string(), "tokenfab");
  EXPECT_EQ(m.at("max_model_len").as_int64(), 4096);
  const json::value card = json::parse(ModelCardJson({"x", 1, "tokenfab", 0}));
  EXPECT_FALSE(card.as_object().contains("max_model_len"));
}

}  // namespace
}  // namespace tokenfab::api
