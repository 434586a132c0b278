#include "tokenfab/bench/openai_protocol.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace tokenfab::bench {
namespace {

namespace json = boost::json;

TEST(RequestBodyTest, CompletionsWithTextAndTokenIds) {
  RequestBodyOptions options;
  options.model = "m";
  auto builder = RequestBodyBuilder::Create(options);
  ASSERT_TRUE(builder.ok());
  const json::value text = json::parse(builder->Build("the and", 16));
  EXPECT_EQ(text.at("model").as_string(), "m");
  EXPECT_EQ(text.at("prompt").as_string(), "the and");
  EXPECT_EQ(text.at("max_tokens").as_int64(), 16);
  EXPECT_EQ(text.at("stream").as_bool(), true);
  EXPECT_EQ(text.at("stream_options").at("include_usage").as_bool(), true);
  EXPECT_EQ(text.at("ignore_eos").as_bool(), true);
  EXPECT_EQ(text.at("min_tokens").as_int64(), 16);
  const json::value ids = json::parse(builder->Build(std::vector<int32_t>{5, 6, 7}, 2));
  ASSERT_TRUE(ids.at("prompt").is_array());
  EXPECT_EQ(ids.at("prompt").as_array().size(), 3u);
  EXPECT_EQ(ids.at("prompt").as_array()[2].as_int64(), 7);
}

TEST(RequestBodyTest, ChatExtraBodyAndOptOuts) {
  RequestBodyOptions options;
  options.endpoint = api::Endpoint::kChatCompletions;
  options.model = "m";
  options.ignore_eos = false;
  options.include_usage = false;
  options.extra_body_json = R"({"temperature": 0, "max_tokens": 3})";
  auto builder = RequestBodyBuilder::Create(options);
  ASSERT_TRUE(builder.ok());
  const json::value body = json::parse(builder->Build("hello", 16));
  EXPECT_EQ(body.at("messages").as_array()[0].at("role").as_string(), "user");
  EXPECT_EQ(body.at("messages").as_array()[0].at("content").as_string(), "hello");
  EXPECT_FALSE(body.as_object().contains("ignore_eos"));
  EXPECT_FALSE(body.as_object().contains("stream_options"));
  EXPECT_EQ(body.at("temperature").as_int64(), 0);
  EXPECT_EQ(body.at("max_tokens").as_int64(), 3);  // the extra body wins
  options.extra_body_json = "[1]";
  EXPECT_FALSE(RequestBodyBuilder::Create(options).ok());
}

TEST(StreamChunkTest, InterpretsCompletionAndChatChunks) {
  auto text = ParseStreamChunk(R"({"choices":[{"index":0,"text":"Hi","finish_reason":null}]})",
                               api::Endpoint::kCompletions);
  ASSERT_TRUE(text.ok());
  EXPECT_TRUE(text->content);
  EXPECT_FALSE(text->finish_reason.has_value());
  auto empty = ParseStreamChunk(R"({"choices":[{"text":"","finish_reason":"length"}]})",
                                api::Endpoint::kCompletions);
  EXPECT_FALSE(empty->content);
  EXPECT_EQ(empty->finish_reason, "length");
  auto role = ParseStreamChunk(R"({"choices":[{"delta":{"role":"assistant","content":""}}]})",
                               api::Endpoint::kChatCompletions);
  EXPECT_FALSE(role->content);
  auto delta = ParseStreamChunk(R"({"choices":[{"delta":{"content":"x"}}]})",
                                api::Endpoint::kChatCompletions);
  EXPECT_TRUE(delta->content);
  auto reasoning = ParseStreamChunk(R"({"choices":[{"delta":{"reasoning_content":"hm"}}]})",
                                    api::Endpoint::kChatCompletions);
  EXPECT_TRUE(reasoning->content);
  auto usage = ParseStreamChunk(
      R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46,)"
      R"("prompt_tokens_details":{"cached_tokens":8}}})",
      api::Endpoint::kChatCompletions);
  ASSERT_TRUE(usage.ok());
  EXPECT_FALSE(usage->content);
  EXPECT_EQ(usage->prompt_tokens, 12);
  EXPECT_EQ(usage->completion_tokens, 34);
  EXPECT_EQ(usage->cached_tokens, 8);
  EXPECT_FALSE(text->cached_tokens.has_value());
  auto done = ParseStreamChunk("[DONE]", api::Endpoint::kChatCompletions);
  EXPECT_TRUE(done->done);
  auto error = ParseStreamChunk(R"({"error":{"message":"overloaded","code":503}})",
                                api::Endpoint::kCompletions);
  EXPECT_EQ(error->error, "overloaded");
  EXPECT_EQ(ParseStreamChunk("not json", api::Endpoint::kChatCompletions).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace tokenfab::bench
