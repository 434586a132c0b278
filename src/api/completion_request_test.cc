#include "tokenfab/api/completion_request.h"

#include <string>

#include <gtest/gtest.h>

#include "tokenfab/api/api_error.h"

namespace tokenfab::api {
namespace {

StatusOr<CompletionRequest> Completions(const std::string& fields) {
  return ParseCompletionRequest(Endpoint::kCompletions,
                                R"({"model": "m", "prompt": "hi")" + fields + "}");
}

StatusOr<CompletionRequest> Chat(const std::string& fields) {
  return ParseCompletionRequest(
      Endpoint::kChatCompletions,
      R"({"model": "m", "messages": [{"role": "user", "content": "hi"}])" + fields + "}");
}

// The request is refused with a 400 naming `param`, and the message mentions it.
void ExpectRejected(const StatusOr<CompletionRequest>& result, const std::string& param) {
  ASSERT_FALSE(result.ok()) << "expected a 400 for " << param;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorParam(result.status()).value_or("<none>"), param) << result.status();
  EXPECT_NE(std::string(result.status().message()).find(param), std::string::npos)
      << result.status();
  EXPECT_EQ(ApiErrorFromStatus(result.status()).http_status, 400);
}

TEST(CompletionRequestTest, DefaultsOfAMinimalRequest) {
  auto r = Completions("");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "m");
  ASSERT_EQ(r->prompts.size(), 1u);
  EXPECT_FALSE(r->prompts[0].is_tokens);
  EXPECT_EQ(r->prompts[0].text, "hi");
  EXPECT_EQ(r->sampling.max_tokens, kDefaultCompletionMaxTokens);
  EXPECT_FALSE(r->max_tokens_given);
  EXPECT_FLOAT_EQ(r->sampling.temperature, 1.0f);
  EXPECT_FLOAT_EQ(r->sampling.top_p, 1.0f);
  EXPECT_EQ(r->n, 1);
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->sampling.logprobs);
  EXPECT_EQ(r->num_choices(), 1);

  auto chat = Chat("");
  ASSERT_TRUE(chat.ok()) << chat.status();
  EXPECT_EQ(chat->sampling.max_tokens, CompletionRequest::kNoLimit);
  ASSERT_EQ(chat->chat.messages.size(), 1u);
  EXPECT_EQ(chat->chat.messages[0].role, "user");
  EXPECT_EQ(chat->chat.messages[0].content, "hi");
}

TEST(CompletionRequestTest, BodyMustBeAJsonObject) {
  for (const char* body : {"", "{", "[1,2]", "\"x\"", "{\"a\": }", "{\"prompt\": \"\xff\"}"}) {
    auto r = ParseCompletionRequest(Endpoint::kCompletions, body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(ErrorParam(r.status()).has_value());
  }
}

TEST(CompletionRequestTest, DeepNestingIsRejectedNotRecursedInto) {
  std::string body = R"({"prompt": "x", "extra": )" + std::string(10000, '[') +
                     std::string(10000, ']') + "}";
  EXPECT_FALSE(ParseCompletionRequest(Endpoint::kCompletions, body).ok());
}

TEST(CompletionRequestTest, UnknownFieldsAndNullsAreIgnored) {
  auto r = Completions(R"(, "frobnicate": {"x": [1]}, "temperature": null, "stop": null,
                          "metadata": {"a": "b"}, "service_tier": "auto", "max_tokens": null)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FLOAT_EQ(r->sampling.temperature, 1.0f);
  EXPECT_EQ(r->sampling.max_tokens, kDefaultCompletionMaxTokens);
}

TEST(CompletionRequestTest, ModelIsOptionalButTyped) {
  auto r = ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": "x"})");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->model, "");
  ExpectRejected(Completions(R"(, "model": 3)"), "model");
}

TEST(CompletionRequestTest, MaxTokens) {
  auto r = Completions(R"(, "max_tokens": 7)");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sampling.max_tokens, 7);
  EXPECT_TRUE(r->max_tokens_given);
  EXPECT_EQ(Completions(R"(, "max_tokens": 7.0)")->sampling.max_tokens, 7);
  ExpectRejected(Completions(R"(, "max_tokens": 0)"), "max_tokens");
  ExpectRejected(Completions(R"(, "max_tokens": -3)"), "max_tokens");
  ExpectRejected(Completions(R"(, "max_tokens": 2.5)"), "max_tokens");
  ExpectRejected(Completions(R"(, "max_tokens": "5")"), "max_tokens");
  ExpectRejected(Completions(R"(, "max_tokens": 99999999999)"), "max_tokens");
}

TEST(CompletionRequestTest, MaxCompletionTokensWinsInChat) {
  auto r = Chat(R"(, "max_tokens": 9, "max_completion_tokens": 4)");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sampling.max_tokens, 4);
  EXPECT_EQ(Chat(R"(, "max_completion_tokens": 5)")->sampling.max_tokens, 5);
  ExpectRejected(Chat(R"(, "max_completion_tokens": false)"), "max_completion_tokens");
  ExpectRejected(Chat(R"(, "max_completion_tokens": 0)"), "max_completion_tokens");
}

TEST(CompletionRequestTest, SamplingNumbers) {
  auto r = Completions(R"(, "temperature": 0, "top_p": 0.5, "top_k": 40, "min_p": 0.1,
      "presence_penalty": -1.5, "frequency_penalty": 2, "repetition_penalty": 1.1, "seed": -7)");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FLOAT_EQ(r->sampling.temperature, 0.0f);
  EXPECT_FLOAT_EQ(r->sampling.top_p, 0.5f);
  EXPECT_EQ(r->sampling.top_k, 40);
  EXPECT_FLOAT_EQ(r->sampling.min_p, 0.1f);
  EXPECT_FLOAT_EQ(r->sampling.presence_penalty, -1.5f);
  EXPECT_FLOAT_EQ(r->sampling.frequency_penalty, 2.0f);
  EXPECT_FLOAT_EQ(r->sampling.repetition_penalty, 1.1f);
  EXPECT_EQ(r->sampling.repetition_last_n, -1);
  ASSERT_TRUE(r->sampling.seed.has_value());
  EXPECT_EQ(*r->sampling.seed, static_cast<uint64_t>(int64_t{-7}));
  EXPECT_EQ(Completions(R"(, "top_k": -1)")->sampling.top_k, 0);  // vLLM's "all"
  EXPECT_EQ(Completions(R"(, "temperature": 1)")->sampling.temperature, 1.0f);  // integer form
}

TEST(CompletionRequestTest, SamplingNumbersOutOfRangeOrMistyped) {
  ExpectRejected(Completions(R"(, "temperature": -0.1)"), "temperature");
  ExpectRejected(Completions(R"(, "temperature": "hot")"), "temperature");
  ExpectRejected(Completions(R"(, "temperature": 1e400)"), "temperature");
  ExpectRejected(Completions(R"(, "top_p": 0)"), "top_p");
  ExpectRejected(Completions(R"(, "top_p": 1.5)"), "top_p");
  ExpectRejected(Completions(R"(, "top_p": [1])"), "top_p");
  ExpectRejected(Completions(R"(, "top_k": -2)"), "top_k");
  ExpectRejected(Completions(R"(, "top_k": 1.5)"), "top_k");
  ExpectRejected(Completions(R"(, "min_p": 2)"), "min_p");
  ExpectRejected(Completions(R"(, "presence_penalty": 2.5)"), "presence_penalty");
  ExpectRejected(Completions(R"(, "frequency_penalty": -3)"), "frequency_penalty");
  ExpectRejected(Completions(R"(, "frequency_penalty": true)"), "frequency_penalty");
  ExpectRejected(Completions(R"(, "repetition_penalty": 0)"), "repetition_penalty");
  ExpectRejected(Completions(R"(, "seed": 1.5)"), "seed");
  ExpectRejected(Completions(R"(, "seed": "42")"), "seed");
}

TEST(CompletionRequestTest, StopStringOrArray) {
  EXPECT_EQ(Completions(R"(, "stop": "\n")")->sampling.stop_strings,
            std::vector<std::string>{"\n"});
  EXPECT_EQ(Completions(R"(, "stop": ["a", "", "bc"])")->sampling.stop_strings,
            (std::vector<std::string>{"a", "bc"}));
  EXPECT_TRUE(Completions(R"(, "stop": [])")->sampling.stop_strings.empty());
  EXPECT_TRUE(Completions(R"(, "stop": "")")->sampling.stop_strings.empty());
  ExpectRejected(Completions(R"(, "stop": 5)"), "stop");
  ExpectRejected(Completions(R"(, "stop": ["a", 5])"), "stop");
  std::string many = R"(, "stop": [)";
  for (int i = 0; i < 17; ++i) many += (i ? ",\"s" : "\"s") + std::to_string(i) + "\"";
  ExpectRejected(Completions(many + "]"), "stop");
  ExpectRejected(Completions(R"(, "stop": ")" + std::string(300, 'x') + "\""), "stop");
}

TEST(CompletionRequestTest, StopTokenIds) {
  EXPECT_EQ(Completions(R"(, "stop_token_ids": [5, 9])")->sampling.stop_token_ids,
            (std::vector<engine::Token>{5, 9}));
  ExpectRejected(Completions(R"(, "stop_token_ids": [-1])"), "stop_token_ids");
  ExpectRejected(Completions(R"(, "stop_token_ids": 5)"), "stop_token_ids");
}

TEST(CompletionRequestTest, NChoices) {
  auto r = Completions(R"(, "n": 3)");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->n, 3);
  EXPECT_EQ(r->num_choices(), 3);
  ExpectRejected(Completions(R"(, "n": 0)"), "n");
  ExpectRejected(Completions(R"(, "n": 17)"), "n");
  ExpectRejected(Completions(R"(, "n": "2")"), "n");
  // Prompts times n past the limit.
  std::string prompts = R"({"prompt": [)";
  for (int i = 0; i < 10; ++i) prompts += (i ? ",\"p\"" : "\"p\"");
  auto big = ParseCompletionRequest(Endpoint::kCompletions, prompts + R"(], "n": 7})");
  ExpectRejected(big, "n");
}

TEST(CompletionRequestTest, StreamAndUsageOption) {
  auto r = Completions(R"(, "stream": true, "stream_options": {"include_usage": true})");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->stream);
  EXPECT_TRUE(r->include_usage);
  EXPECT_FALSE(Completions(R"(, "stream": true, "stream_options": null)")->include_usage);
  ExpectRejected(Completions(R"(, "stream": "yes")"), "stream");
  ExpectRejected(Completions(R"(, "stream_options": true)"), "stream_options");
  ExpectRejected(Completions(R"(, "stream_options": {"include_usage": 1})"),
                 "stream_options.include_usage");
}

TEST(CompletionRequestTest, VllmExtensions) {
  auto r = Completions(R"(, "ignore_eos": true, "min_tokens": 8, "max_tokens": 8)");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ignore_eos);
  EXPECT_EQ(r->min_tokens, 8);
  ExpectRejected(Completions(R"(, "min_tokens": 9, "max_tokens": 8)"), "min_tokens");
  ExpectRejected(Completions(R"(, "min_tokens": -1)"), "min_tokens");
  ExpectRejected(Completions(R"(, "ignore_eos": "true")"), "ignore_eos");
}

TEST(CompletionRequestTest, User) {
  EXPECT_EQ(Completions(R"(, "user": "u-1")")->user, "u-1");
  ExpectRejected(Completions(R"(, "user": 7)"), "user");
}

TEST(CompletionRequestTest, PromptForms) {
  auto ids = ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": [1, 2, 3]})");
  ASSERT_TRUE(ids.ok()) << ids.status();
  ASSERT_EQ(ids->prompts.size(), 1u);
  EXPECT_TRUE(ids->prompts[0].is_tokens);
  EXPECT_EQ(ids->prompts[0].tokens, (std::vector<int32_t>{1, 2, 3}));

  auto many = ParseCompletionRequest(Endpoint::kCompletions,
                                     R"({"prompt": ["a", [4, 5], "b"], "n": 2})");
  ASSERT_TRUE(many.ok()) << many.status();
  ASSERT_EQ(many->prompts.size(), 3u);
  EXPECT_EQ(many->prompts[0].text, "a");
  EXPECT_TRUE(many->prompts[1].is_tokens);
  EXPECT_EQ(many->prompts[2].text, "b");
  EXPECT_EQ(many->num_choices(), 6);

  EXPECT_TRUE(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": ""})").ok());
  auto missing = ParseCompletionRequest(Endpoint::kCompletions, R"({"model": "m"})");
  ExpectRejected(missing, "prompt");
  ExpectRejected(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": 5})"), "prompt");
  ExpectRejected(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": []})"), "prompt");
  ExpectRejected(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": [1, -2]})"),
                 "prompt");
  ExpectRejected(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": [1, "a"]})"),
                 "prompt");
  ExpectRejected(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": [1, 4294967296]})"),
                 "prompt");
  ExpectRejected(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": ["a", 3]})"),
                 "prompt[1]");
  ExpectRejected(ParseCompletionRequest(Endpoint::kCompletions, R"({"prompt": ["a", []]})"),
                 "prompt[1]");
}

TEST(CompletionRequestTest, CompletionLogprobsAreAnInteger) {
  auto r = Completions(R"(, "logprobs": 3)");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->sampling.logprobs);
  EXPECT_EQ(r->sampling.top_logprobs, 3);
  auto zero = Completions(R"(, "logprobs": 0)");
  EXPECT_TRUE(zero->sampling.logprobs);
  EXPECT_EQ(zero->sampling.top_logprobs, 0);
  EXPECT_FALSE(Completions(R"(, "logprobs": null)")->sampling.logprobs);
  ExpectRejected(Completions(R"(, "logprobs": true)"), "logprobs");
  ExpectRejected(Completions(R"(, "logprobs": 21)"), "logprobs");
}

TEST(CompletionRequestTest, ChatLogprobsAreABooleanWithTopLogprobs) {
  auto r = Chat(R"(, "logprobs": true, "top_logprobs": 5)");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->sampling.logprobs);
  EXPECT_EQ(r->sampling.top_logprobs, 5);
  ExpectRejected(Chat(R"(, "logprobs": 3)"), "logprobs");
  ExpectRejected(Chat(R"(, "top_logprobs": 2)"), "top_logprobs");
  ExpectRejected(Chat(R"(, "logprobs": true, "top_logprobs": 21)"), "top_logprobs");
  ExpectRejected(Chat(R"(, "logprobs": true, "top_logprobs": "2")"), "top_logprobs");
}

TEST(CompletionRequestTest, Echo) {
  EXPECT_TRUE(Completions(R"(, "echo": true)")->echo);
  ExpectRejected(Completions(R"(, "echo": 1)"), "echo");
  ExpectRejected(Completions(R"(, "echo": true, "logprobs": 1)"), "echo");
}

TEST(CompletionRequestTest, UnsupportedFeaturesAreA400NotASilentChange) {
  ExpectRejected(Completions(R"(, "logit_bias": {"50256": -100})"), "logit_bias");
  EXPECT_TRUE(Completions(R"(, "logit_bias": {})").ok());
  ExpectRejected(Completions(R"(, "logit_bias": [1])"), "logit_bias");
  ExpectRejected(Chat(R"(, "response_format": {"type": "json_object"})"), "response_format");
  EXPECT_TRUE(Chat(R"(, "response_format": {"type": "text"})").ok());
  ExpectRejected(Completions(R"(, "suffix": "end")"), "suffix");
  EXPECT_TRUE(Completions(R"(, "suffix": "")").ok());
  ExpectRejected(Completions(R"(, "best_of": 3)"), "best_of");
  EXPECT_TRUE(Completions(R"(, "best_of": 1)").ok());
}

TEST(CompletionRequestTest, ChatToolsAndTemplateKwargs) {
  auto r = Chat(R"(, "tools": [{"type": "function", "function": {"name": "f"}}],
                   "chat_template_kwargs": {"enable_thinking": false, "x": 1})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->chat.tools_json.find("\"name\":\"f\""), std::string::npos);
  ASSERT_TRUE(r->chat.enable_thinking.has_value());
  EXPECT_FALSE(*r->chat.enable_thinking);
  EXPECT_NE(r->chat.extra_context_json.find("\"x\":1"), std::string::npos);
  ExpectRejected(Chat(R"(, "tools": {})"), "tools");
  ExpectRejected(Chat(R"(, "chat_template_kwargs": [])"), "chat_template_kwargs");
  ExpectRejected(Chat(R"(, "chat_template_kwargs": {"enable_thinking": "no"})"),
                 "chat_template_kwargs.enable_thinking");
}

TEST(CompletionRequestTest, EndpointPaths) {
  EXPECT_EQ(EndpointPath(Endpoint::kCompletions), "/v1/completions");
  EXPECT_EQ(EndpointPath(Endpoint::kChatCompletions), "/v1/chat/completions");
}

}  // namespace
}  // namespace tokenfab::api
