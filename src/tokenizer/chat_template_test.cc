// ChatTemplate: rendering conversations with the built-in templates and the real Qwen 3 template,
// the render options, family detection, the fallback choice, errors and concurrent use. Expected
// prompts are what transformers' apply_chat_template (Python Jinja2) produces.
#include "tokenfab/tokenizer/chat_template.h"

#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::tokenizer {
namespace {

using ::testing::HasSubstr;

std::vector<ChatMessage> Conversation() {
  return {{"system", "You are terse."},
          {"user", "Hi there "},
          {"assistant", " Hello! "},
          {"user", "Bye"}};
}

std::string RenderBuiltin(std::string_view name, bool add_generation_prompt,
                          std::string bos = "<s>", std::string eos = "</s>") {
  StatusOr<std::string_view> source = BuiltinChatTemplate(name);
  EXPECT_TRUE(source.ok()) << source.status();
  StatusOr<ChatTemplate> t = ChatTemplate::Parse(*source);
  EXPECT_TRUE(t.ok()) << t.status();
  ChatRenderOptions options;
  options.add_generation_prompt = add_generation_prompt;
  options.bos_token = std::move(bos);
  options.eos_token = std::move(eos);
  StatusOr<std::string> out = t->Render(Conversation(), options);
  if (!out.ok()) return "ERROR: " + std::string(out.status().message());
  return *out;
}

TEST(ChatTemplateTest, ChatMl) {
  EXPECT_EQ(RenderBuiltin("chatml", true),
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there <|im_end|>\n"
            "<|im_start|>assistant\n Hello! <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(RenderBuiltin("chatml", false),
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi there <|im_end|>\n"
            "<|im_start|>assistant\n Hello! <|im_end|>\n<|im_start|>user\nBye<|im_end|>\n");
}

TEST(ChatTemplateTest, Llama3) {
  EXPECT_EQ(
      RenderBuiltin("llama3", true, "<|begin_of_text|>", "<|eot_id|>"),
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
      "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatTemplateTest, Llama2) {
  EXPECT_EQ(RenderBuiltin("llama2", true),
            "<s>[INST] <<SYS>>\nYou are terse.\n<</SYS>>\n\nHi there [/INST] Hello! </s><s>[INST] "
            "Bye [/INST]");
}

TEST(ChatTemplateTest, Mistral) {
  EXPECT_EQ(RenderBuiltin("mistral", true),
            "<s> [INST] You are terse.\n\nHi there  [/INST]  Hello! </s> [INST] Bye [/INST]");
  EXPECT_EQ(RenderBuiltin("mistral-v7", true),
            "<s>[SYSTEM_PROMPT] You are terse.[/SYSTEM_PROMPT][INST] Hi there [/INST]  Hello! "
            "</s>[INST] Bye[/INST]");
}

TEST(ChatTemplateTest, RaiseExceptionBecomesTheError) {
  StatusOr<ChatTemplate> t = ChatTemplate::Parse(*BuiltinChatTemplate("llama2"));
  ASSERT_TRUE(t.ok());
  StatusOr<std::string> out = t->Render({{"user", "a"}, {"user", "b"}}, ChatRenderOptions());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()),
              ::testing::MatchesRegex(
                  "chat template: line 1, column [0-9]+: Conversation roles must alternate "
                  "user/assistant/user/assistant/\\.\\.\\."));
}

class Qwen3TemplateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::string> path = FindVocabFile("qwen3");
    ASSERT_TRUE(path.ok()) << path.status();
    StatusOr<Vocab> vocab = LoadVocabJson(*path);
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    StatusOr<ChatTemplate> t = ChatTemplate::Parse(vocab->chat_template);
    ASSERT_TRUE(t.ok()) << t.status();
    template_ = std::make_unique<ChatTemplate>(std::move(*t));
  }
  std::unique_ptr<ChatTemplate> template_;
};

TEST_F(Qwen3TemplateTest, DropsPastThinkingAndHonoursEnableThinking) {
  EXPECT_EQ(template_->family(), ChatTemplateFamily::kChatMl);
  std::vector<ChatMessage> messages = {
      {"user", "2+2?"}, {"assistant", "<think>\nEasy.\n</think>\n\n4"}, {"user", "3+3?"}};
  ChatRenderOptions options;
  StatusOr<std::string> thinking = template_->Render(messages, options);
  ASSERT_TRUE(thinking.ok()) << thinking.status();
  EXPECT_EQ(*thinking,
            "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
            "<|im_start|>user\n3+3?<|im_end|>\n<|im_start|>assistant\n");
  options.enable_thinking = false;
  StatusOr<std::string> direct = template_->Render(messages, options);
  ASSERT_TRUE(direct.ok()) << direct.status();
  EXPECT_EQ(*direct, *thinking + "<think>\n\n</think>\n\n");
}

TEST_F(Qwen3TemplateTest, ToolsAndToolCalls) {
  ChatMessage call{"assistant", ""};
  call.tool_calls_json =
      R"([{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}])";
  ChatMessage result{"tool", "21C"};
  result.tool_call_id = "c1";
  ChatRenderOptions options;
  options.tools_json =
      R"([{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}}])";
  StatusOr<std::string> out =
      template_->Render({{"user", "Weather in Paris?"}, call, result}, options);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(
      *out,
      "<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user "
      "query.\n\n"
      "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
      "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": "
      "{\"type\": \"object\", "
      "\"properties\": {\"city\": {\"type\": \"string\"}}}}}\n</tools>\n\nFor each function call, "
      "return a json "
      "object with function name and arguments within <tool_call></tool_call> XML "
      "tags:\n<tool_call>\n"
      "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
      "<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n"
      "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n"
      "<|im_start|>user\n<tool_response>\n21C\n</"
      "tool_response><|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, OptionsBecomeVariables) {
  StatusOr<ChatTemplate> t = ChatTemplate::Parse(
      "{{ messages|length }}|{{ messages[0].content is none }}|{{ messages[0].reasoning_content }}|"
      "{{ messages[0].name }}|{{ messages[1].tool_call_id }}|{{ messages[0].tool_calls[0].id }}|"
      "{{ tools|length }}|{{ enable_thinking }}|{{ date_string }}|{{ add_generation_prompt }}|"
      "{{ bos_token }}{{ eos_token }}|{{ strftime_now('%d %b %Y %H:%M') }}|{{ messages[1].name is "
      "defined }}");
  ASSERT_TRUE(t.ok()) << t.status();
  ChatMessage call{"assistant", std::nullopt};
  call.reasoning_content = "why";
  call.name = "bot";
  call.tool_calls_json = R"([{"id": "c9"}])";
  ChatMessage tool{"tool", "r"};
  tool.tool_call_id = "c9";
  base::ManualClock clock(0, 1722001530'000000);  // 2024-07-26 13:45:30 UTC
  ChatRenderOptions options;
  options.add_generation_prompt = false;
  options.bos_token = "<s>";
  options.eos_token = "</s>";
  options.tools_json = "[1, 2]";
  options.enable_thinking = true;
  options.extra_context_json = R"({"date_string": "today", "bos_token": "<B>"})";
  options.clock = &clock;
  StatusOr<std::string> out = t->Render({call, tool}, options);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(*out, "2|True|why|bot|c9|c9|2|True|today|False|<B></s>|26 Jul 2024 13:45|False");
}

TEST(ChatTemplateTest, MalformedJsonOptionsAreErrors) {
  StatusOr<ChatTemplate> t = ChatTemplate::Parse("x");
  ASSERT_TRUE(t.ok());
  ChatRenderOptions options;
  options.tools_json = "[1,";
  EXPECT_THAT(std::string(t->Render({}, options).status().message()),
              HasSubstr("chat template tools: not valid JSON"));
  options.tools_json.clear();
  options.extra_context_json = "[1]";
  EXPECT_THAT(std::string(t->Render({}, options).status().message()),
              HasSubstr("extra context: not a JSON object"));
  options.extra_context_json.clear();
  ChatMessage bad{"assistant", "x"};
  bad.tool_calls_json = "{";
  EXPECT_THAT(std::string(t->Render({{"user", "u"}, bad}, options).status().message()),
              HasSubstr("messages[1].tool_calls: not valid JSON"));
}

TEST(ChatTemplateTest, ParseErrorsNamePosition) {
  StatusOr<ChatTemplate> t = ChatTemplate::Parse("ok\n{% for m in messages %}{{ m.content }");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(t.status().message()), HasSubstr("chat template: line 2, column"));
}

TEST(ChatTemplateTest, LimitsComeFromTheOptions) {
  StatusOr<ChatTemplate> t =
      ChatTemplate::Parse("{% for m in messages %}{{ m.content * 1000 }}{% endfor %}");
  ASSERT_TRUE(t.ok());
  ChatRenderOptions options;
  options.limits.max_output_bytes = 10'000;
  StatusOr<std::string> out = t->Render({{"user", "0123456789"}, {"user", "x"}}, options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(ChatTemplateTest, DetectsFamilies) {
  EXPECT_EQ(DetectChatTemplateFamily(*BuiltinChatTemplate("chatml")), ChatTemplateFamily::kChatMl);
  EXPECT_EQ(DetectChatTemplateFamily(*BuiltinChatTemplate("llama3")), ChatTemplateFamily::kLlama3);
  EXPECT_EQ(DetectChatTemplateFamily(*BuiltinChatTemplate("llama2")), ChatTemplateFamily::kLlama2);
  EXPECT_EQ(DetectChatTemplateFamily(*BuiltinChatTemplate("mistral")),
            ChatTemplateFamily::kMistral);
  EXPECT_EQ(DetectChatTemplateFamily(*BuiltinChatTemplate("mistral-v7")),
            ChatTemplateFamily::kMistral);
  EXPECT_EQ(DetectChatTemplateFamily("{{ messages }}"), ChatTemplateFamily::kUnknown);
}

TEST(ChatTemplateTest, BuiltinsAndFallback) {
  EXPECT_THAT(BuiltinChatTemplateNames(),
              ::testing::ElementsAre("chatml", "llama3", "llama2", "mistral", "mistral-v7"));
  StatusOr<std::string_view> unknown = BuiltinChatTemplate("vicuna");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(std::string(unknown.status().message()),
            "unknown built-in chat template 'vicuna' (known: chatml, llama3, llama2, mistral, "
            "mistral-v7)");

  // No template in the model: a clear error naming the choices.
  StatusOr<ChatTemplate> none = ResolveChatTemplate("", "");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(none.status().message()),
              HasSubstr("choose a built-in one: chatml, llama3"));
  // A template that does not parse: the parse error and the choices.
  StatusOr<ChatTemplate> broken = ResolveChatTemplate("{% include 'x' %}", "auto");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(std::string(broken.status().message()), HasSubstr("'include' tag is not supported"));
  EXPECT_THAT(std::string(broken.status().message()), HasSubstr("choose a built-in one"));
  // The model's own template, or the user's choice instead.
  StatusOr<ChatTemplate> own = ResolveChatTemplate(*BuiltinChatTemplate("llama2"), "");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->family(), ChatTemplateFamily::kLlama2);
  StatusOr<ChatTemplate> chosen = ResolveChatTemplate("{% include 'x' %}", "chatml");
  ASSERT_TRUE(chosen.ok());
  EXPECT_EQ(chosen->family(), ChatTemplateFamily::kChatMl);
  EXPECT_EQ(chosen->source(), *BuiltinChatTemplate("chatml"));
  EXPECT_FALSE(ResolveChatTemplate("", "vicuna").ok());
}

TEST(ChatTemplateTest, ConcurrentRendersShareOneTemplate) {
  StatusOr<ChatTemplate> t = ChatTemplate::Parse(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + m.content|length %}"
      "{{ m.role }}:{{ m.content }};{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(t.ok());
  const ChatTemplate shared = *t;  // copies share the parsed program
  std::vector<std::thread> threads;
  std::vector<std::string> outputs(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 200; ++k) {
        std::vector<ChatMessage> messages;
        for (int j = 0; j <= i; ++j)
          messages.push_back({"user", std::string(static_cast<size_t>(j + 1), 'x')});
        StatusOr<std::string> out = shared.Render(messages, ChatRenderOptions());
        if (out.ok()) outputs[static_cast<size_t>(i)] = *out;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(outputs[0], "user:x;1");
  EXPECT_EQ(outputs[2], "user:x;user:xx;user:xxx;6");
  EXPECT_EQ(outputs[7].substr(outputs[7].size() - 3), ";36");
}

}  // namespace
}  // namespace tokenfab::tokenizer
