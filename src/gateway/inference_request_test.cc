#include "inference_request.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tokenfab/api/api_error.h"
#include "tokenfab/api/numeric_fields.h"

namespace tokenfab::gateway {
namespace {

using ::testing::HasSubstr;

TEST(InferenceRequestTest, ReadsAChatRequest) {
  auto r = ParseInferenceRequest(api::Endpoint::kChatCompletions, R"({
    "model": "qwen3-8b", "stream": true, "stream_options": {"include_usage": true},
    "max_completion_tokens": 64, "temperature": 0.2,
    "messages": [{"role": "system", "content": "Be brief."},
                 {"role": "user", "content": [{"type": "text", "text": "Hello "},
                                              {"type": "text", "text": "there"}]},
                 {"role": "assistant", "content": null}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "qwen3-8b");
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->client_wants_usage);
  EXPECT_EQ(r->max_tokens, 64);
  ASSERT_EQ(r->messages.size(), 3u);
  EXPECT_EQ(r->messages[1].content, "Hello there");
  EXPECT_FALSE(r->messages[2].content.has_value());
  EXPECT_EQ(r->prompt_bytes, 9u + 11u);
  EXPECT_EQ(r->PromptText(), "system\nBe brief.\nuser\nHello there\nassistant\n\n");
}

TEST(InferenceRequestTest, ReadsCompletionPromptsAsTextOrTokenIds) {
  auto text = ParseInferenceRequest(api::Endpoint::kCompletions,
                                    R"({"model": "m", "prompt": ["a b", "c"], "max_tokens": 5})");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->prompts.size(), 2u);
  EXPECT_EQ(text->max_tokens, 5);
  EXPECT_FALSE(text->stream);
  auto ids =
      ParseInferenceRequest(api::Endpoint::kCompletions, R"({"model": "m", "prompt": [1, 2, 3]})");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->prompt_ids, (std::vector<int32_t>{1, 2, 3}));
}

TEST(InferenceRequestTest, ReadsTheServiceTier) {
  auto absent =
      ParseInferenceRequest(api::Endpoint::kCompletions, R"({"model": "m", "prompt": "a"})");
  ASSERT_TRUE(absent.ok()) << absent.status();
  EXPECT_EQ(absent->service_tier, "auto");
  for (const char* tier : {"auto", "default", "flex", "priority"}) {
    auto r = ParseInferenceRequest(
        api::Endpoint::kChatCompletions,
        fmt::format(
            R"({{"model": "m", "service_tier": "{}", "messages": [{{"role": "user", "content": "x"}}]}})",
            tier));
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->service_tier, tier);
  }
  auto null_tier = ParseInferenceRequest(api::Endpoint::kCompletions,
                                         R"({"model": "m", "prompt": "a", "service_tier": null})");
  ASSERT_TRUE(null_tier.ok());
  EXPECT_EQ(null_tier->service_tier, "auto");
}

TEST(InferenceRequestTest, BadBodiesAreClientErrors) {
  struct Case {
    api::Endpoint endpoint;
    const char* body;
    const char* message;
  };
  for (const Case& c : {
           Case{api::Endpoint::kChatCompletions, "{", "not valid JSON"},
           Case{api::Endpoint::kChatCompletions, "[]", "must be an object"},
           Case{api::Endpoint::kChatCompletions, R"({"messages": []})", "'model' is required"},
           Case{api::Endpoint::kChatCompletions, R"({"model": "m"})", "'messages'"},
           Case{api::Endpoint::kChatCompletions,
                R"({"model": "m", "messages": [{"content": "x"}]})", "messages[0].role"},
           Case{api::Endpoint::kChatCompletions,
                R"({"model": "m", "messages": [{"role": "user", "content": 3}]})",
                "messages[0].content"},
           Case{api::Endpoint::kChatCompletions,
                R"({"model": "m", "stream": "yes", "messages": [{"role": "user"}]})", "'stream'"},
           Case{api::Endpoint::kCompletions, R"({"model": "m"})", "'prompt' is required"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": ["a", 1]})", "prompt[1]"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": [1, "a"]})", "token ids"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": [-1]})", "token ids"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": ["a", []]})",
                "'prompt[1]' must not be empty"},
           Case{api::Endpoint::kCompletions,
                R"({"model": "m", "prompt": "a", "service_tier": "scale"})", "'service_tier'"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": "a", "service_tier": 1})",
                "'service_tier'"},
       }) {
    auto r = ParseInferenceRequest(c.endpoint, c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), HasSubstr(c.message)) << c.body;
  }
}

// The field at fault travels as the error's param, as OpenAI's 400s carry it.
TEST(InferenceRequestTest, ErrorsNameTheField) {
  struct Case {
    api::Endpoint endpoint;
    const char* body;
    const char* param;
  };
  for (const Case& c : {
           Case{api::Endpoint::kChatCompletions, R"({"messages": []})", "model"},
           Case{api::Endpoint::kChatCompletions,
                R"({"model": "m", "messages": [{"content": "x"}]})", "messages[0].role"},
           Case{api::Endpoint::kCompletions, R"({"model": "m"})", "prompt"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": ["a", 1]})", "prompt[1]"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": "a", "service_tier": 1})",
                "service_tier"},
           Case{api::Endpoint::kCompletions,
                R"({"model": "m", "prompt": "a", "max_tokens": 1e300})", "max_tokens"},
           Case{api::Endpoint::kChatCompletions,
                R"({"model": "m", "messages": [{"role": "user"}], "max_completion_tokens": 0})",
                "max_completion_tokens"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": "a", "n": 129})", "n"},
           Case{api::Endpoint::kCompletions, R"({"model": "m", "prompt": "a", "n": 1.5})", "n"},
       }) {
    auto r = ParseInferenceRequest(c.endpoint, c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(api::ErrorParam(r.status()).value_or("<none>"), c.param) << c.body;
    const api::ApiError error = api::ApiErrorFromStatus(r.status());
    EXPECT_EQ(error.http_status, 400);
    EXPECT_EQ(error.param, c.param);
  }
}

// Walks the API's table of numeric fields: the gateway refuses what the node refuses, before
// converting anything (1e300 in max_tokens was cast to int64 here).
TEST(InferenceRequestTest, EveryNumericFieldIsRangeChecked) {
  int cases = 0;
  for (const api::NumericField& field : api::InferenceNumericFields()) {
    for (api::Endpoint endpoint : {api::Endpoint::kChatCompletions, api::Endpoint::kCompletions}) {
      const bool applies =
          field.scope == api::FieldScope::kBoth ||
          (field.scope == api::FieldScope::kChat) == (endpoint == api::Endpoint::kChatCompletions);
      if (!applies) continue;
      const char* base = endpoint == api::Endpoint::kChatCompletions
                             ? R"("messages": [{"role": "user", "content": "hi"}])"
                             : R"("prompt": "hi")";
      for (const char* value : {"1e300", "-1e300", "\"7\"", "[2]"}) {
        const std::string body =
            fmt::format(R"({{"model": "m", {}, "{}": {}}})", base, field.name, value);
        auto r = ParseInferenceRequest(endpoint, body);
        ASSERT_FALSE(r.ok()) << body;
        EXPECT_EQ(api::ErrorParam(r.status()).value_or("<none>"), field.name) << body;
        EXPECT_THAT(std::string(r.status().message()), HasSubstr(std::string(field.name)));
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 60);
}

TEST(InferenceRequestTest, CountsChoicesOverPromptsAndN) {
  auto text = ParseInferenceRequest(api::Endpoint::kCompletions,
                                    R"({"model": "m", "prompt": ["a", "b", "c"], "n": 4})");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->prompt_count, 3);
  EXPECT_EQ(text->n, 4);
  EXPECT_EQ(text->choices(), 12);
  auto ids = ParseInferenceRequest(api::Endpoint::kCompletions,
                                   R"({"model": "m", "prompt": [[1, 2], [3]], "n": 2})");
  ASSERT_TRUE(ids.ok()) << ids.status();
  EXPECT_EQ(ids->prompt_ids, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(ids->choices(), 4);
  auto one = ParseInferenceRequest(api::Endpoint::kCompletions,
                                   R"({"model": "m", "prompt": [5, 6, 7], "n": 3})");
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->choices(), 3);  // one prompt of three token ids
  auto chat =
      ParseInferenceRequest(api::Endpoint::kChatCompletions,
                            R"({"model": "m", "n": 5, "max_tokens": 7, "max_completion_tokens": 9,
          "messages": [{"role": "user", "content": "x"}]})");
  ASSERT_TRUE(chat.ok()) << chat.status();
  EXPECT_EQ(chat->choices(), 5);
  EXPECT_EQ(chat->max_tokens, 9);
  EXPECT_EQ(chat->max_tokens_field, "max_completion_tokens");
}

TEST(InferenceRequestTest, UpstreamBodyAsksForUsageAndKeepsEverythingElse) {
  auto r = ParseInferenceRequest(api::Endpoint::kChatCompletions,
                                 R"({"model": "m", "stream": true, "top_p": 0.5,
                                     "stream_options": {"other": 1},
                                     "messages": [{"role": "user", "content": "hi"}]})");
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->client_wants_usage);
  namespace json = boost::json;
  json::value node = json::parse(UpstreamBody(*r, fleet::UpstreamKind::kTokenfabNode));
  EXPECT_EQ(node.at("stream_options").at("include_usage"), true);
  EXPECT_EQ(node.at("stream_options").at("other"), 1);
  EXPECT_EQ(node.at("top_p"), 0.5);
  EXPECT_FALSE(node.as_object().contains("cache_prompt"));
  json::value llama = json::parse(UpstreamBody(*r, fleet::UpstreamKind::kLlamaCpp));
  EXPECT_EQ(llama.at("cache_prompt"), true);
  // A whole answer carries usage anyway: no stream_options are added.
  auto whole =
      ParseInferenceRequest(api::Endpoint::kCompletions, R"({"model": "m", "prompt": "x"})");
  ASSERT_TRUE(whole.ok());
  EXPECT_FALSE(json::parse(UpstreamBody(*whole, fleet::UpstreamKind::kVllm))
                   .as_object()
                   .contains("stream_options"));
}

}  // namespace
}  // namespace tokenfab::gateway
