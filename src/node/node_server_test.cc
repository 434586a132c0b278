#include "tokenfab/node/node_server.h"

#include <future>
#include <regex>
#include <set>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "node/node_server_fixture.h"
#include "node/node_test_util.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/api/prefix_key.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/engine/block_hash.h"

namespace tokenfab::node {
namespace {

namespace json = boost::json;
using testing::Answer;
using testing::FastSyntheticHost;
using ::testing::HasSubstr;
using testing::NodeClient;
using testing::StartNode;
using testing::StreamAnswer;

TEST_F(NodeServerTest, LoadingAnswers503ThenServes) {
  NodeOptions options;
  options.io_threads = 2;
  options.loading_retry_after_s = 7;
  auto server = NodeServer::Start(options, base::RealClock::Get());
  ASSERT_TRUE(server.ok()) << server.status();
  NodeClient client((*server)->port());
  Answer health = client.Get("/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.json.at("status").as_string(), "loading");
  EXPECT_EQ(health.headers.Get("Retry-After"), "7");
  Answer completion = client.Post("/v1/completions", R"({"prompt": "x"})");
  EXPECT_EQ(completion.status, 503);
  EXPECT_THAT(std::string(ErrorOf(completion).at("message").as_string()), HasSubstr("loading"));
  EXPECT_EQ(client.Get("/load").status, 503);
  EXPECT_FALSE((*server)->ready());

  auto host = ModelHost::Load(FastSyntheticHost(), (*server)->clock(),
                              &(*server)->metrics_registry());
  ASSERT_TRUE(host.ok()) << host.status();
  (*server)->Serve(*std::move(host));
  EXPECT_TRUE((*server)->ready());
  EXPECT_EQ(client.Get("/health").status, 200);
  EXPECT_EQ(client.Get("/health").json.at("status").as_string(), "ok");
  (*server)->Stop();
}

TEST_F(NodeServerTest, ModelsList) {
  Start();
  Answer list = client_->Get("/v1/models");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.json.at("object").as_string(), "list");
  EXPECT_EQ(list.json.at("data").as_array()[0].at("id").as_string(), "demo");
  EXPECT_GT(list.json.at("data").as_array()[0].at("max_model_len").as_int64(), 0);
  EXPECT_EQ(client_->Get("/v1/models/demo").json.at("id").as_string(), "demo");
  Answer missing = client_->Get("/v1/models/other");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorOf(missing).at("code").as_string(), "model_not_found");
}

TEST_F(NodeServerTest, CompletionWholeResponse) {
  Start();
  Answer answer = client_->Post(
      "/v1/completions", R"({"model": "demo", "prompt": "Hello", "max_tokens": 5,
                             "ignore_eos": true})",
      {{"x-request-id", "req-42"}});
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.headers.Get("x-request-id"), "req-42");
  const json::object& r = answer.json.as_object();
  EXPECT_EQ(r.at("object").as_string(), "text_completion");
  EXPECT_EQ(r.at("model").as_string(), "demo");
  EXPECT_TRUE(r.at("id").as_string().starts_with("cmpl-"));
  EXPECT_GT(r.at("created").as_int64(), 1'600'000'000);
  const json::object& choice = r.at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("index").as_int64(), 0);
  EXPECT_FALSE(choice.at("text").as_string().empty());
  EXPECT_EQ(choice.at("finish_reason").as_string(), "length");
  EXPECT_TRUE(choice.at("logprobs").is_null());
  const json::object& usage = r.at("usage").as_object();
  EXPECT_EQ(usage.at("prompt_tokens").as_int64(), 2);  // <|begin_of_text|> Hello
  EXPECT_EQ(usage.at("completion_tokens").as_int64(), 5);
  EXPECT_EQ(usage.at("total_tokens").as_int64(), 7);
  EXPECT_EQ(usage.at("prompt_tokens_details").at("cached_tokens").as_int64(), 0);
}

TEST_F(NodeServerTest, ChatStreamWithUsage) {
  Start();
  StreamAnswer answer = client_->PostStream(
      "/v1/chat/completions",
      R"({"messages": [{"role": "system", "content": "Be brief."},
                       {"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
          "max_completion_tokens": 4, "ignore_eos": true, "stream": true,
          "stream_options": {"include_usage": true}})");
  ASSERT_EQ(answer.status, 200);
  EXPECT_THAT(std::string(answer.headers.Get("Content-Type").value_or("")),
              HasSubstr("text/event-stream"));
  std::vector<json::object> chunks = Chunks(answer);
  ASSERT_GE(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].at("object").as_string(), "chat.completion.chunk");
  EXPECT_EQ(chunks[0].at("choices").as_array()[0].at("delta").at("role").as_string(), "assistant");
  std::string text;
  std::string finish;
  for (size_t i = 0; i + 1 < chunks.size(); ++i) {
    EXPECT_EQ(chunks[i].at("id"), chunks[0].at("id"));
    EXPECT_TRUE(chunks[i].at("usage").is_null());
    const json::object& c = chunks[i].at("choices").as_array()[0].as_object();
    if (const json::value* content = c.at("delta").as_object().if_contains("content")) {
      text += content->as_string();
    }
    if (c.at("finish_reason").is_string()) finish = c.at("finish_reason").as_string();
  }
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(finish, "length");
  const json::object& last = chunks.back();
  EXPECT_TRUE(last.at("choices").as_array().empty());
  EXPECT_EQ(last.at("usage").at("completion_tokens").as_int64(), 4);
  EXPECT_GT(last.at("usage").at("prompt_tokens").as_int64(), 5);  // the template's tokens
}

TEST_F(NodeServerTest, CompletionStreamWithoutUsageOption) {
  Start();
  StreamAnswer answer = client_->PostStream(
      "/v1/completions", R"({"prompt": "a", "max_tokens": 3, "ignore_eos": true, "stream": true})");
  std::vector<json::object> chunks = Chunks(answer);
  ASSERT_FALSE(chunks.empty());
  for (const json::object& chunk : chunks) {
    EXPECT_EQ(chunk.at("object").as_string(), "text_completion");
    EXPECT_FALSE(chunk.contains("usage"));
  }
  EXPECT_EQ(chunks.back().at("choices").as_array()[0].at("finish_reason").as_string(), "length");
}

TEST_F(NodeServerTest, SeveralChoicesAndPrompts) {
  Start();
  Answer chat = client_->Post("/v1/chat/completions",
                              R"({"messages": [{"role": "user", "content": "Hi"}], "n": 3,
                                  "max_tokens": 6, "ignore_eos": true, "seed": 11})");
  ASSERT_EQ(chat.status, 200) << chat.body;
  const json::array& choices = chat.json.at("choices").as_array();
  ASSERT_EQ(choices.size(), 3u);
  std::set<std::string> texts;
  for (size_t i = 0; i < choices.size(); ++i) {
    EXPECT_EQ(choices[i].at("index").as_int64(), static_cast<int64_t>(i));
    texts.insert(std::string(choices[i].at("message").at("content").as_string()));
  }
  EXPECT_EQ(texts.size(), 3u) << "choices of one seeded request differ";
  EXPECT_EQ(chat.json.at("usage").at("completion_tokens").as_int64(), 18);

  Answer two = client_->Post("/v1/completions", R"({"prompt": ["one", [128000, 17, 18, 19]],
                             "n": 2, "max_tokens": 2, "ignore_eos": true})");
  ASSERT_EQ(two.status, 200) << two.body;
  EXPECT_EQ(two.json.at("choices").as_array().size(), 4u);
  EXPECT_EQ(two.json.at("usage").at("prompt_tokens").as_int64(), 2 + 4);  // each prompt once
  EXPECT_EQ(two.json.at("usage").at("completion_tokens").as_int64(), 8);

  StreamAnswer streamed = client_->PostStream(
      "/v1/chat/completions", R"({"messages": [{"role": "user", "content": "Hi"}], "n": 2,
      "max_tokens": 3, "ignore_eos": true, "stream": true})");
  std::set<int64_t> roles, finished;
  for (const json::object& chunk : Chunks(streamed)) {
    const json::object& c = chunk.at("choices").as_array()[0].as_object();
    if (c.at("delta").as_object().contains("role")) roles.insert(c.at("index").as_int64());
    if (c.at("finish_reason").is_string()) finished.insert(c.at("index").as_int64());
  }
  EXPECT_EQ(roles, (std::set<int64_t>{0, 1}));
  EXPECT_EQ(finished, (std::set<int64_t>{0, 1}));
}

TEST_F(NodeServerTest, SeedsRepeatAndStopStringsCut) {
  Start();
  const std::string body = R"({"prompt": "x", "max_tokens": 24, "ignore_eos": true, "seed": 5)";
  Answer first = client_->Post("/v1/completions", body + "}");
  Answer again = client_->Post("/v1/completions", body + "}");
  ASSERT_EQ(first.status, 200);
  const std::string text(first.json.at("choices").as_array()[0].at("text").as_string());
  EXPECT_EQ(again.json.at("choices").as_array()[0].at("text").as_string(), text);
  ASSERT_GT(text.size(), 12u);
  // A stop string taken from the middle of the text: the answer ends just before it.
  const std::string stop = text.substr(text.size() / 2, 3);
  const size_t cut = text.find(stop);
  json::object request = json::parse(body + "}").as_object();
  request["stop"] = stop;
  Answer stopped = client_->Post("/v1/completions", json::serialize(request));
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  const json::object& choice = stopped.json.at("choices").as_array()[0].as_object();
  EXPECT_EQ(choice.at("text").as_string(), text.substr(0, cut));
  EXPECT_EQ(choice.at("finish_reason").as_string(), "stop");
}

TEST_F(NodeServerTest, LogprobsAndEcho) {
  Start();
  Answer completion = client_->Post(
      "/v1/completions", R"({"prompt": "x", "max_tokens": 4, "ignore_eos": true, "logprobs": 2})");
  ASSERT_EQ(completion.status, 200) << completion.body;
  const json::object& lp =
      completion.json.at("choices").as_array()[0].at("logprobs").as_object();
  ASSERT_EQ(lp.at("tokens").as_array().size(), 4u);
  ASSERT_EQ(lp.at("token_logprobs").as_array().size(), 4u);
  EXPECT_LE(lp.at("top_logprobs").as_array()[0].as_object().size(), 2u);
  int64_t previous = -1;
  for (const json::value& offset : lp.at("text_offset").as_array()) {
    EXPECT_GT(offset.as_int64(), previous);
    previous = offset.as_int64();
  }

  Answer chat = client_->Post("/v1/chat/completions",
                              R"({"messages": [{"role": "user", "content": "x"}], "max_tokens": 3,
                                  "ignore_eos": true, "logprobs": true, "top_logprobs": 2})");
  ASSERT_EQ(chat.status, 200) << chat.body;
  const json::array& content =
      chat.json.at("choices").as_array()[0].at("logprobs").at("content").as_array();
  ASSERT_EQ(content.size(), 3u);
  EXPECT_LE(content[0].at("logprob").to_number<double>(), 0.0);
  EXPECT_EQ(content[0].at("top_logprobs").as_array().size(), 2u);

  Answer echo = client_->Post("/v1/completions", R"({"prompt": "Once upon", "max_tokens": 2,
                                                     "ignore_eos": true, "echo": true})");
  ASSERT_EQ(echo.status, 200) << echo.body;
  EXPECT_TRUE(echo.json.at("choices").as_array()[0].at("text").as_string().starts_with("Once upon"));
}

TEST_F(NodeServerTest, RequestErrorsInOpenAiShape) {
  Start();
  Answer bad_json = client_->Post("/v1/completions", "{\"prompt\": ");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(ErrorOf(bad_json).at("type").as_string(), "invalid_request_error");
  EXPECT_TRUE(ErrorOf(bad_json).at("param").is_null());

  Answer bad_type = client_->Post("/v1/completions", R"({"prompt": "x", "temperature": "hot"})");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_EQ(ErrorOf(bad_type).at("param").as_string(), "temperature");

  Answer bad_model = client_->Post("/v1/completions", R"({"model": "gpt-9", "prompt": "x"})");
  EXPECT_EQ(bad_model.status, 404);
  EXPECT_EQ(ErrorOf(bad_model).at("code").as_string(), "model_not_found");

  Answer bad_ids = client_->Post("/v1/completions", R"({"prompt": [1, 999999999]})");
  EXPECT_EQ(bad_ids.status, 400);
  EXPECT_EQ(ErrorOf(bad_ids).at("param").as_string(), "prompt");

  Answer bad_priority = client_->Post("/v1/completions", R"({"prompt": "x"})",
                                      {{"x-tokenfab-priority", "high"}});
  EXPECT_EQ(bad_priority.status, 400);
  EXPECT_THAT(std::string(ErrorOf(bad_priority).at("message").as_string()),
              HasSubstr("x-tokenfab-priority"));
  for (const char* slo : {"fast", "0", "-5", "20ms", "4e6"}) {
    Answer bad_slo =
        client_->Post("/v1/completions", R"({"prompt": "x"})", {{"x-tokenfab-tpot-slo-ms", slo}});
    EXPECT_EQ(bad_slo.status, 400) << slo;
    EXPECT_THAT(std::string(ErrorOf(bad_slo).at("message").as_string()),
                HasSubstr("x-tokenfab-tpot-slo-ms"));
  }
  Answer good_slo = client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 2})",
                                  {{"x-tokenfab-tpot-slo-ms", "25.5"}});
  EXPECT_EQ(good_slo.status, 200) << good_slo.body;

  Answer min_tokens = client_->Post("/v1/completions", R"({"prompt": "x", "min_tokens": 3})");
  EXPECT_EQ(min_tokens.status, 400);
  EXPECT_EQ(ErrorOf(min_tokens).at("param").as_string(), "min_tokens");

  Answer no_route = client_->Get("/v2/nothing");
  EXPECT_EQ(no_route.status, 404);
  ErrorOf(no_route);
  Answer wrong_method = client_->Get("/v1/completions");
  EXPECT_EQ(wrong_method.status, 405);
  ErrorOf(wrong_method);
}

TEST_F(NodeServerTest, PromptLongerThanTheContextIsA400) {
  ModelHostOptions host = FastSyntheticHost();
  host.context = 64;
  Start({}, host);
  std::string words;
  for (int i = 0; i < 100; ++i) words += " x";  // a token each
  Answer answer = client_->Post("/v1/completions", fmt::format(R"({{"prompt": "{}"}})", words));
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(ErrorOf(answer).at("param").as_string(), "prompt");
  EXPECT_THAT(std::string(ErrorOf(answer).at("message").as_string()),
              HasSubstr("maximum context length is 64"));
}

TEST_F(NodeServerTest, ModelWithoutChatTemplateRefusesChatOnly) {
  Start({}, FastSyntheticHost("gpt2"));
  Answer chat = client_->Post("/v1/chat/completions",
                              R"({"messages": [{"role": "user", "content": "x"}]})");
  EXPECT_EQ(chat.status, 400);
  EXPECT_EQ(ErrorOf(chat).at("param").as_string(), "messages");
  EXPECT_THAT(std::string(ErrorOf(chat).at("message").as_string()), HasSubstr("--chat-template"));
  EXPECT_EQ(client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 1})").status, 200);
}

TEST_F(NodeServerTest, ApiKey) {
  NodeOptions options;
  options.api_key = "sekret";
  Start(options);
  const std::string body = R"({"prompt": "x", "max_tokens": 1})";
  // A missing and a wrong key: OpenAI's 401, the same the gateway answers.
  Answer none = client_->Post("/v1/completions", body);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(ErrorOf(none).at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(ErrorOf(none).at("code").as_string(), "invalid_api_key");
  EXPECT_EQ(ErrorOf(none).at("message").as_string(), api::MissingApiKeyError().message);
  Answer wrong = client_->Post("/v1/completions", body, {{"Authorization", "Bearer wrong"}});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorOf(wrong).at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(ErrorOf(wrong).at("message").as_string(), api::InvalidApiKeyError().message);
  EXPECT_EQ(client_->Get("/v1/models").status, 401);
  EXPECT_EQ(client_->Post("/v1/completions", body, {{"Authorization", "Bearer sekret"}}).status,
            200);
  // The scheme is case-insensitive (RFC 7235), and extra spaces before the key are allowed.
  EXPECT_EQ(client_->Post("/v1/completions", body, {{"Authorization", "bearer  sekret"}}).status,
            200);
  EXPECT_EQ(client_->Get("/health").status, 200);  // probes need no key
}

TEST_F(NodeServerTest, BodyTooLargeIs413InOpenAiShape) {
  NodeOptions options;
  options.max_body_bytes = 1024;
  Start(options);
  Answer answer = client_->Post("/v1/completions",
                                fmt::format(R"({{"prompt": "{}"}})", std::string(2000, 'a')));
  EXPECT_EQ(answer.status, 413);
  EXPECT_EQ(ErrorOf(answer).at("code").as_string(), "request_too_large");
}

TEST_F(NodeServerTest, FullQueueIs429WithRetryAfter) {
  ModelHostOptions host = FastSyntheticHost();
  host.max_running = 1;
  host.max_waiting = 1;
  Start({}, host);
  const std::string endless = R"({"prompt": "x", "max_tokens": 5000, "ignore_eos": true,
                                  "stream": true})";
  std::promise<void> running;
  std::atomic<bool> seen{false};
  std::promise<void> a_done, b_done;
  auto a = client_->StartStream("/v1/completions", endless, [&](const std::string&) {
    if (!seen.exchange(true)) running.set_value();
  }, [&](Status) { a_done.set_value(); });
  running.get_future().wait();  // A holds the only running slot
  auto b = client_->StartStream("/v1/completions", endless, [](const std::string&) {},
                                [&](Status) { b_done.set_value(); });
  WaitForLoad([](const json::object& load) { return load.at("waiting").as_int64() == 1; });
  Answer c = client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 1})");
  EXPECT_EQ(c.status, 429) << c.body;
  EXPECT_EQ(ErrorOf(c).at("type").as_string(), "rate_limit_error");
  ASSERT_TRUE(c.headers.Get("Retry-After").has_value());
  EXPECT_GE(std::stoi(std::string(*c.headers.Get("Retry-After"))), 1);
  a->Cancel();
  b->Cancel();
  a_done.get_future().wait();
  b_done.get_future().wait();
  WaitForLoad([](const json::object& load) {
    return load.at("running").as_int64() == 0 && load.at("waiting").as_int64() == 0;
  });
  EXPECT_EQ(client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 1})").status, 200);
}

TEST_F(NodeServerTest, DisconnectCancelsAndFreesKvBlocks) {
  Start();
  const int64_t total = WaitForLoad([](const json::object&) { return true; })
                            .at("kv_blocks_total")
                            .as_int64();
  std::promise<void> streaming, done;
  std::atomic<int> events{0};
  auto call = client_->StartStream(
      "/v1/completions",
      R"({"prompt": "x", "max_tokens": 5000, "ignore_eos": true, "stream": true})",
      [&](const std::string&) {
        if (++events == 3) streaming.set_value();
      },
      [&](Status) { done.set_value(); });
  streaming.get_future().wait();
  json::object busy = WaitForLoad([](const json::object& load) {
    return load.at("running").as_int64() == 1;
  });
  EXPECT_LT(busy.at("kv_blocks_free").as_int64(), total);
  call->Cancel();  // the client goes away mid-stream
  done.get_future().wait();
  WaitForLoad([total](const json::object& load) {
    return load.at("running").as_int64() == 0 && load.at("kv_blocks_free").as_int64() == total;
  });
  // It stopped early: far fewer tokens than asked were generated.
  Answer metrics = client_->Get("/metrics");
  std::smatch m;
  const std::regex generated(R"(tokenfab:generation_tokens_total\{[^}]*\} (\S+))");
  ASSERT_TRUE(std::regex_search(metrics.body, m, generated)) << metrics.body;
  EXPECT_LT(std::stod(m[1]), 4000);
  EXPECT_THAT(metrics.body, HasSubstr("tokenfab:http_client_disconnects_total"));
}

TEST_F(NodeServerTest, MetricsArePrometheusText) {
  Start();
  ASSERT_EQ(client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 2})").status, 200);
  const std::string counted =
      R"(tokenfab:http_requests_total{handler="/v1/completions",code="200"} 1)";
  Answer metrics = WaitForMetrics(counted);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(std::string(metrics.headers.Get("Content-Type").value_or("")),
              HasSubstr("text/plain; version=0.0.4"));
  for (const char* name :
       {"tokenfab:num_requests_running", "tokenfab:num_requests_waiting",
        "tokenfab:kv_cache_usage_perc", "tokenfab:time_to_first_token_seconds_bucket",
        "tokenfab:time_per_output_token_seconds", "tokenfab:e2e_request_latency_seconds",
        "tokenfab:prompt_tokens_total", "tokenfab:generation_tokens_total",
        "tokenfab:request_success_total", "tokenfab:request_prompt_tokens_bucket",
        "tokenfab:http_requests_total{"}) {
    EXPECT_THAT(metrics.body, HasSubstr(name));
  }
  // Every line is a comment (# HELP / # TYPE) or `name{labels} value`.
  const std::regex sample(R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEInfNa]+$)");
  const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  size_t start = 0;
  int samples = 0;
  while (start < metrics.body.size()) {
    size_t end = metrics.body.find('\n', start);
    if (end == std::string::npos) end = metrics.body.size();
    const std::string line = metrics.body.substr(start, end - start);
    start = end + 1;
    if (line.empty()) continue;
    EXPECT_TRUE(std::regex_match(line, sample) || std::regex_match(line, comment)) << line;
    samples += line[0] != '#';
  }
  EXPECT_GT(samples, 20);
  EXPECT_THAT(metrics.body, HasSubstr(counted));
}

TEST_F(NodeServerTest, OperationsRoutesNeedTheOperatorToken) {
  NodeOptions options;
  options.operator_token = "op-secret";
  options.api_key = "tenant-key";
  Start(options);
  for (const std::string path : {"/load", "/metrics"}) {
    EXPECT_EQ(client_->Get(path).status, 401) << path;
    EXPECT_EQ(client_->Get(path, {{"Authorization", "Bearer op-secreT"}}).status, 401) << path;
    // A tenant's API key is not the operator token.
    EXPECT_EQ(client_->Get(path, {{"Authorization", "Bearer tenant-key"}}).status, 401) << path;
    EXPECT_EQ(client_->Get(path, {{"Authorization", "Bearer op-secret"}}).status, 200) << path;
  }
  EXPECT_EQ(client_->Get("/health").status, 200);  // probes need no token
}

TEST_F(NodeServerTest, LoadFollowsTheContract) {
  // The deployment's prefix secret keys the published hashes.
  const api::PrefixKey key = api::PrefixKey::FromSecret("test-deployment-secret");
  NodeOptions options;
  options.prefix_key = key;
  Start(options);
  // 40 prompt tokens: two full blocks of 16, hashed with the tenant's salt.
  std::vector<int32_t> prompt;
  std::string ids;
  for (int i = 0; i < 40; ++i) {
    prompt.push_back(1000 + i);
    if (i > 0) ids += ',';
    ids += std::to_string(1000 + i);
  }
  const std::string body = fmt::format(R"({{"prompt": [{}], "max_tokens": 2, "ignore_eos": true}})",
                                       ids);
  Answer first = client_->Post("/v1/completions", body, {{"x-tokenfab-tenant", "acme"}});
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.json.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64(), 0);
  Answer second = client_->Post("/v1/completions", body, {{"x-tokenfab-tenant", "acme"}});
  EXPECT_EQ(second.json.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64(), 32);
  Answer other = client_->Post("/v1/completions", body, {{"x-tokenfab-tenant", "globex"}});
  EXPECT_EQ(other.json.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64(), 0);

  const std::vector<engine::BlockHash> hashes =
      engine::HashFullBlocks(prompt, 16, engine::TenantSalt("acme"));
  ASSERT_EQ(hashes.size(), 2u);
  const std::string want = fmt::format("{:016x}", key.Publish(hashes[1]));
  // What another tenant can compute from acme's prompt without the secret.
  const std::set<std::string> unkeyed = {fmt::format("{:016x}", hashes[0]),
                                         fmt::format("{:016x}", hashes[1])};
  // The engine refreshes the reported hashes at most every 100 ms of its steps: keep it
  // stepping (one-token requests of another tenant) until they show.
  json::object load = WaitForLoad([&](const json::object& l) {
    for (const json::value& h : l.at("prefix_cache").at("block_hashes").as_array()) {
      if (h.as_string() == want) return true;
    }
    client_->Post("/v1/completions", R"({"prompt": "x", "max_tokens": 1})",
                  {{"x-tokenfab-tenant", "busy"}});
    return false;
  });
  const std::set<std::string> keys = {"model",
                                      "running",
                                      "waiting",
                                      "kv_usage",
                                      "kv_blocks_total",
                                      "kv_blocks_free",
                                      "block_tokens",
                                      "max_running",
                                      "queue_delay_ms",
                                      "prefill_tokens_per_s",
                                      "decode_tokens_per_s",
                                      "tpot_ms",
                                      "queue_tokens",
                                      "step_model",
                                      "prefix_cache"};
  std::set<std::string> got;
  for (const auto& member : load) got.insert(std::string(member.key()));
  EXPECT_EQ(got, keys);
  EXPECT_EQ(load.at("model").as_string(), "demo");
  EXPECT_EQ(load.at("block_tokens").as_int64(), 16);
  const json::object& prefix = load.at("prefix_cache").as_object();
  EXPECT_EQ(prefix.at("block_tokens").as_int64(), 16);
  EXPECT_GT(prefix.at("hit_rate").to_number<double>(), 0.0);
  EXPECT_GE(prefix.at("cached_blocks").as_int64(), 2);
  for (const json::value& h : prefix.at("block_hashes").as_array()) {
    EXPECT_EQ(h.as_string().size(), 16u);
    EXPECT_FALSE(unkeyed.contains(std::string(h.as_string()))) << h;
  }
  EXPECT_GT(load.at("decode_tokens_per_s").to_number<double>(), 0.0);
  // The synthetic engine publishes the step-time model it runs at, and its queue as tokens.
  const json::object& model = load.at("step_model").as_object();
  EXPECT_GT(model.at("prefill_token_us").to_number<double>(), 0.0);
  EXPECT_GT(model.at("decode_sequence_us").to_number<double>(), 0.0);
  const json::object& queue = load.at("queue_tokens").as_object();
  EXPECT_TRUE(queue.contains("prefill") && queue.contains("decode_sequences") &&
              queue.contains("kv"));
}

}  // namespace
}  // namespace tokenfab::node
