// Reference test for chat templates: renders a systematically varied set of conversations through
// every template tokenfab knows (the real ones in the exported vocabularies, the built-in
// fallbacks and public fixtures) with tokenfab's interpreter, with Python Jinja2 configured as
// Hugging Face transformers does (the primary reference) and with @huggingface/jinja (what
// transformers.js uses), and requires byte-identical output.
//
// Python Jinja2 (Debian's python3-jinja2, installed by scripts/setup) defines the expected output:
// it is the engine transformers renders with. @huggingface/jinja is a reimplementation that
// differs from it in places (str.strip(chars) ignores its argument, JavaScript's idea of
// whitespace and of `"" != false`, None through `trim`, dict equality); every case where the two
// references disagree is counted and printed, and tokenfab must match Python there. Without Python
// Jinja2 the test prints the comparison with @huggingface/jinja and is skipped.
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "chat_template_fixtures.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/tokenizer/chat_template.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::tokenizer {
namespace {

namespace json = boost::json;

// 2024-07-26 13:45:30 UTC: the clock behind strftime_now() in every renderer.
constexpr int64_t kNowMicros = 1722001530'000000;

struct TemplateCase {
  std::string name;
  std::string source;
  std::string bos;
  std::string eos;
};

struct Conversation {
  std::string label;
  std::vector<ChatMessage> messages;
  bool add_generation_prompt = true;
  std::optional<bool> enable_thinking;
  std::string tools_json;
  // Built to hit a known difference between the two references (reported apart).
  bool probe = false;
};

struct Result {
  bool ok = false;
  std::string text;  // output or error message
};

// ---- Templates ----

std::vector<TemplateCase> Templates() {
  std::vector<TemplateCase> out;
  for (const char* name : {"llama3", "llama2", "qwen3"}) {
    StatusOr<std::string> path = FindVocabFile(name);
    EXPECT_TRUE(path.ok()) << path.status();
    if (!path.ok()) continue;
    StatusOr<Vocab> vocab = LoadVocabJson(*path);
    EXPECT_TRUE(vocab.ok()) << vocab.status();
    if (!vocab.ok()) continue;
    EXPECT_FALSE(vocab->chat_template.empty()) << name;
    out.push_back(
        {name, vocab->chat_template, vocab->tokens[vocab->bos_id], vocab->tokens[vocab->eos_id]});
  }
  auto builtin = [&](const char* name, const char* bos, const char* eos) {
    StatusOr<std::string_view> source = BuiltinChatTemplate(name);
    EXPECT_TRUE(source.ok()) << source.status();
    if (source.ok())
      out.push_back({std::string("builtin:") + name, std::string(*source), bos, eos});
  };
  builtin("chatml", "", "<|im_end|>");
  builtin("llama3", "<|begin_of_text|>", "<|eot_id|>");
  builtin("llama2", "<s>", "</s>");
  builtin("mistral", "<s>", "</s>");
  builtin("mistral-v7", "<s>", "</s>");
  out.push_back({"mistral-legacy", std::string(testing::kMistralLegacyTemplate), "<s>", "</s>"});
  out.push_back({"mistral-v3-tools", std::string(testing::kMistralV3ToolsTemplate), "<s>", "</s>"});
  out.push_back(
      {"llama3.2", std::string(testing::kLlama32Template), "<|begin_of_text|>", "<|eot_id|>"});
  return out;
}

// ---- Conversations ----

const std::vector<std::string>& UserTexts() {
  static const auto* const kTexts = new std::vector<std::string>{
      "Hello!",
      "",
      "  leading and trailing spaces  ",
      "line one\nline two\n\nline four\n",
      "h\u00e9llo w\u00f6rld \u2014 \u00fcn\u00efc\u00f6d\u00e9 \u4f60\u597d\uff0c\u4e16\u754c "
      "\U0001F600\U0001F680",
      "quotes ' \" and a backslash \\ and {{ braces }} {% tags %} {# comment #}",
      "\ttabs\tand\r\nCRLF line ends\r\n",
      "<|im_end|> special <s> [INST] tokens </s> <|eot_id|>",
      "\u00a0non-breaking and ideographic\u3000spaces\u3000",
      "<tool_response>\nlooks like a tool result\n</tool_response>",
      std::string(40, '-') + "\nA longer message. " + std::string(300, 'x') + "\n\n" +
          "Second paragraph with more words to make it long enough to matter.\n",
  };
  return *kTexts;
}

const std::vector<std::string>& AssistantTexts() {
  static const auto* const kTexts = new std::vector<std::string>{
      "Hi! How can I help?",
      "<think>\nThe user greets me.\n</think>\n\nHello there!",
      "<think></think>Direct answer.",
      "  spaced answer  \n",
      "multi\nline\nanswer",
      "unicode answer: caf\u00e9 \u2615 \u65e5\u672c\u8a9e",
      "",
      "before <think>inner thoughts</think> after",
      "<think>\n\nreasoning with blank lines\n\n</think>\n\n\nanswer after newlines",
      "</think>\n\nonly a closing tag",
  };
  return *kTexts;
}

const std::vector<std::optional<std::string>>& SystemTexts() {
  static const auto* const kTexts = new std::vector<std::optional<std::string>>{
      std::nullopt,
      "You are a helpful assistant.",
      "  System prompt with\nnewlines and spaces  \n",
      "",
      "Syst\u00e8me : r\u00e9ponds en fran\u00e7ais \U0001F1EB\U0001F1F7",
  };
  return *kTexts;
}

ChatMessage Message(std::string role, std::optional<std::string> content) {
  ChatMessage m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

// System variant x user turns 1..6 x ending (user / assistant) x add_generation_prompt x
// enable_thinking (unset / true / false); contents rotate through the pools.
void AddGrid(std::vector<Conversation>* out) {
  const auto& users = UserTexts();
  const auto& assistants = AssistantTexts();
  const auto& systems = SystemTexts();
  size_t counter = 0;
  const std::optional<bool> thinking_modes[] = {std::nullopt, true, false};
  for (size_t s = 0; s < systems.size(); ++s) {
    for (int turns = 1; turns <= 6; ++turns) {
      for (bool end_with_assistant : {false, true}) {
        for (bool generation_prompt : {true, false}) {
          for (const std::optional<bool>& thinking : thinking_modes) {
            ++counter;
            Conversation c;
            c.label =
                fmt::format("grid#{} system={} turns={} end={} agp={} thinking={}", counter, s,
                            turns, end_with_assistant ? "assistant" : "user", generation_prompt,
                            thinking ? (*thinking ? "true" : "false") : "unset");
            if (systems[s]) c.messages.push_back(Message("system", *systems[s]));
            for (int t = 0; t < turns; ++t) {
              c.messages.push_back(Message("user", users[(counter * 7 + t * 3) % users.size()]));
              if (t + 1 < turns || end_with_assistant) {
                ChatMessage reply =
                    Message("assistant", assistants[(counter * 5 + t) % assistants.size()]);
                if ((counter + t) % 4 == 0)
                  reply.reasoning_content = "Reasoning kept in its own field.\n";
                c.messages.push_back(std::move(reply));
              }
            }
            c.add_generation_prompt = generation_prompt;
            c.enable_thinking = thinking;
            out->push_back(std::move(c));
          }
        }
      }
    }
  }
}

constexpr char kTools[] = R"([{"type": "function", "function": {"name": "get_weather",
  "description": "Get the current weather in a city", "parameters": {"type": "object",
  "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"},
  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}},
  {"type": "function", "function": {"name": "search", "description": "Search the web \u00e9",
  "parameters": {"type": "object", "properties": {"query": {"type": "string"}}}}}])";

ChatMessage ToolCallTurn(const std::string& calls_json, std::optional<std::string> content) {
  ChatMessage m = Message("assistant", std::move(content));
  m.tool_calls_json = calls_json;
  return m;
}

ChatMessage ToolResult(const std::string& id, const std::string& content) {
  ChatMessage m = Message("tool", content);
  m.tool_call_id = id;
  return m;
}

void AddToolConversations(std::vector<Conversation>* out) {
  const std::string dict_args =
      R"([{"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}])";
  const std::string string_args =
      R"([{"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}])";
  const std::string two_calls =
      R"([{"id": "call12345", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
          {"id": "call67890", "type": "function", "function": {"name": "search", "arguments": {"query": "caf\u00e9"}}}])";
  struct Variant {
    const char* name;
    const std::string* calls;
    bool two_results;
    bool with_system;
    bool with_tools;
  };
  const Variant variants[] = {
      {"dict-args", &dict_args, false, false, true},
      {"dict-args+system", &dict_args, false, true, true},
      {"string-args", &string_args, false, false, true},
      {"two-calls", &two_calls, true, false, true},
      {"history-without-tools", &dict_args, false, false, false},
  };
  for (const Variant& v : variants) {
    for (bool generation_prompt : {true, false}) {
      for (bool content_null : {true, false}) {
        Conversation c;
        c.label = fmt::format("tools {} agp={} content={}", v.name, generation_prompt,
                              content_null ? "null" : "text");
        if (v.with_system) c.messages.push_back(Message("system", "You can call tools."));
        c.messages.push_back(Message("user", "What's the weather in Paris?"));
        c.messages.push_back(ToolCallTurn(
            *v.calls, content_null ? std::nullopt : std::optional<std::string>("Let me check.")));
        c.messages.push_back(ToolResult("call12345", R"({"temperature": 21, "sky": "clear"})"));
        if (v.two_results) c.messages.push_back(ToolResult("call67890", "Caf\u00e9 results: none"));
        c.messages.push_back(Message("assistant", "It is 21 \u00b0C and clear."));
        c.messages.push_back(Message("user", "Thanks!"));
        c.add_generation_prompt = generation_prompt;
        if (v.with_tools) c.tools_json = kTools;
        out->push_back(std::move(c));
      }
    }
  }
  // Tools offered, plain chat.
  Conversation plain;
  plain.label = "tools offered, no calls";
  plain.messages = {Message("system", "Be brief."), Message("user", "Hi")};
  plain.tools_json = kTools;
  out->push_back(plain);
}

void AddEdgeConversations(std::vector<Conversation>* out) {
  auto add = [&](std::string label, std::vector<ChatMessage> messages) {
    Conversation c;
    c.label = std::move(label);
    c.messages = std::move(messages);
    out->push_back(std::move(c));
  };
  add("no messages", {});
  add("system only", {Message("system", "Only a system prompt.")});
  add("two users in a row", {Message("user", "one"), Message("user", "two")});
  add("assistant first", {Message("assistant", "I start."), Message("user", "ok")});
  add("unknown role", {Message("narrator", "Once upon a time"), Message("user", "go on")});
  add("null user content", {Message("user", std::nullopt)});
  add("system after user",
      {Message("user", "hi"), Message("system", "late system"), Message("user", "again")});
}

// Conversations that reach documented differences between Python Jinja2 and @huggingface/jinja.
void AddProbes(std::vector<Conversation>* out) {
  auto add = [&](std::string label, std::vector<ChatMessage> messages, std::string tools = "") {
    Conversation c;
    c.label = "probe: " + label;
    c.messages = std::move(messages);
    c.tools_json = std::move(tools);
    c.probe = true;
    out->push_back(std::move(c));
  };
  // str.strip()/|trim: Python strips U+0085 and U+001C..U+001F, JavaScript's trim() does not.
  add("python-only whitespace", {Message("user", "\u0085next line and unit separator\u001f")});
  // JavaScript's trim() strips U+FEFF, Python's strip() does not.
  add("byte order mark", {Message("user", "\ufeffBOM-wrapped text\ufeff")});
  // str.strip('\n') / lstrip('\n'): @huggingface/jinja ignores the characters argument.
  add("strip with chars",
      {Message("user", "q"),
       Message("assistant", "<think>\n  spaced reasoning \t\n</think>\n  answer with spaces  "),
       Message("user", "and?")});
  // dict equality: Python compares content, @huggingface/jinja identity (Mistral v3 puts the tools
  // before every user turn equal to the last one).
  add("equal user turns",
      {Message("user", "same"), Message("assistant", "a"), Message("user", "same")}, kTools);
}

std::vector<Conversation> Conversations() {
  std::vector<Conversation> out;
  AddGrid(&out);
  AddToolConversations(&out);
  AddEdgeConversations(&out);
  AddProbes(&out);
  return out;
}

// ---- Rendering ----

// The template variables as ChatTemplate::Render defines them, built independently.
json::object ContextJson(const Conversation& c, const TemplateCase& t) {
  json::array messages;
  for (const ChatMessage& m : c.messages) {
    json::object o;
    o["role"] = m.role;
    if (m.content) {
      o["content"] = *m.content;
    } else {
      o["content"] = nullptr;
    }
    if (m.reasoning_content) o["reasoning_content"] = *m.reasoning_content;
    if (m.name) o["name"] = *m.name;
    if (m.tool_call_id) o["tool_call_id"] = *m.tool_call_id;
    if (!m.tool_calls_json.empty()) o["tool_calls"] = json::parse(m.tool_calls_json);
    messages.push_back(std::move(o));
  }
  json::object context;
  context["messages"] = std::move(messages);
  context["add_generation_prompt"] = c.add_generation_prompt;
  context["bos_token"] = t.bos;
  context["eos_token"] = t.eos;
  if (!c.tools_json.empty()) context["tools"] = json::parse(c.tools_json);
  if (c.enable_thinking) context["enable_thinking"] = *c.enable_thinking;
  return context;
}

Result RenderOurs(const ChatTemplate& t, const TemplateCase& tc, const Conversation& c,
                  const base::Clock& clock) {
  ChatRenderOptions options;
  options.add_generation_prompt = c.add_generation_prompt;
  options.bos_token = tc.bos;
  options.eos_token = tc.eos;
  options.tools_json = c.tools_json;
  options.enable_thinking = c.enable_thinking;
  options.clock = &clock;
  StatusOr<std::string> out = t.Render(c.messages, options);
  if (!out.ok()) return {false, std::string(out.status().message())};
  return {true, *out};
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a reference renderer; empty when it could not run.
std::optional<std::vector<Result>> RunReference(const std::string& command,
                                                const std::string& results_path) {
  std::remove(results_path.c_str());
  const int rc = std::system(command.c_str());
  if (rc != 0) {
    std::cerr << "reference command failed (" << rc << "): " << command << "\n";
    return std::nullopt;
  }
  json::value parsed = json::parse(Slurp(results_path));
  std::vector<Result> out;
  for (const json::value& r : parsed.as_array()) {
    const json::object& o = r.as_object();
    Result result;
    result.ok = o.at("ok").as_bool();
    result.text = std::string(result.ok ? o.at("output").as_string() : o.at("error").as_string());
    out.push_back(std::move(result));
  }
  return out;
}

bool PythonJinjaAvailable() {
  const std::string command =
      std::string(TOKENFAB_SYSTEM_PYTHON) + " -c 'import jinja2' 2>/dev/null";
  return std::system(command.c_str()) == 0;
}

// Where two outputs first differ, for failure messages.
std::string Difference(const std::string& expected, const std::string& actual) {
  size_t i = 0;
  while (i < expected.size() && i < actual.size() && expected[i] == actual[i]) ++i;
  auto excerpt = [&](const std::string& s) {
    const size_t from = i > 30 ? i - 30 : 0;
    return json::serialize(json::string(s.substr(from, 80)));
  };
  return fmt::format("first difference at byte {}: expected {} got {}", i, excerpt(expected),
                     excerpt(actual));
}

bool SameResult(const Result& reference, const Result& ours) {
  if (reference.ok != ours.ok) return false;
  if (reference.ok) return reference.text == ours.text;
  // Both failed. A raise_exception() message must come through.
  const std::string prefix = "TemplateError: ";
  if (reference.text.rfind(prefix, 0) == 0) {
    const std::string message = reference.text.substr(prefix.size());
    return ours.text.size() >= message.size() &&
           ours.text.compare(ours.text.size() - message.size(), message.size(), message) == 0;
  }
  return true;
}

// Renders every (template, conversation) case with tokenfab and writes the case file for the
// reference renderers; compares the results.
class ChatTemplateReferenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    templates_ = Templates();
    conversations_ = Conversations();
    dir_ = ::testing::TempDir() + "/chat_template_reference_" + std::to_string(getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Our renders, in case order; writes the case file.
  void RenderAll() {
    base::ManualClock clock(0, kNowMicros);
    json::object spec;
    json::object sources;
    for (const TemplateCase& t : templates_) sources[t.name] = t.source;
    spec["templates"] = std::move(sources);
    spec["now_micros"] = kNowMicros;
    json::array cases;
    for (const TemplateCase& t : templates_) {
      StatusOr<ChatTemplate> parsed = ChatTemplate::Parse(t.source);
      ASSERT_TRUE(parsed.ok()) << t.name << ": " << parsed.status();
      for (const Conversation& c : conversations_) {
        json::object one;
        one["template"] = t.name;
        one["context"] = ContextJson(c, t);
        cases.push_back(std::move(one));
        ours_.push_back(RenderOurs(*parsed, t, c, clock));
        index_.emplace_back(&t, &c);
      }
    }
    spec["cases"] = std::move(cases);
    std::ofstream(CasesPath(), std::ios::binary) << json::serialize(spec);
  }

  std::string CasesPath() const { return dir_ + "/cases.json"; }

  // Runs `script` (in tests/integration/) with `interpreter` on the case file.
  std::optional<std::vector<Result>> Reference(std::string_view interpreter,
                                               std::string_view script) {
    const std::string results = fmt::format("{}/{}.results.json", dir_, script);
    return RunReference(fmt::format("TZ=UTC {} {}/tests/integration/{} {} {}", interpreter,
                                    TOKENFAB_SOURCE_DIR, script, CasesPath(), results),
                        results);
  }

  // How result `b` of case `i` differs from result `a`, named after their renderers.
  std::string Describe(size_t i, std::string_view a_name, const Result& a, std::string_view b_name,
                       const Result& b) const {
    const auto& [t, c] = index_[i];
    std::string what;
    if (a.ok != b.ok) {
      const Result& failed = a.ok ? b : a;
      what = fmt::format("{} failed ({}), {} rendered", a.ok ? b_name : a_name, failed.text,
                         a.ok ? a_name : b_name);
    } else if (a.ok) {
      what = fmt::format("{} vs {}: {}", a_name, b_name, Difference(a.text, b.text));
    } else {
      what = fmt::format("errors differ: {} ({}) vs {} ({})", a.text, a_name, b.text, b_name);
    }
    return t->name + " / " + c->label + ": " + what;
  }

  std::vector<TemplateCase> templates_;
  std::vector<Conversation> conversations_;
  std::string dir_;
  std::vector<Result> ours_;
  std::vector<std::pair<const TemplateCase*, const Conversation*>> index_;
};

TEST_F(ChatTemplateReferenceTest, MatchesPythonJinja2AndHuggingFaceJinja) {
  ASSERT_EQ(templates_.size(), 11u);
  ASSERT_NO_FATAL_FAILURE(RenderAll());
  std::optional<std::vector<Result>> hf = Reference(TOKENFAB_NODE, "chat_template_reference.mjs");
  ASSERT_TRUE(hf.has_value()) << "@huggingface/jinja could not run (run scripts/setup)";
  ASSERT_EQ(hf->size(), ours_.size());
  const bool have_python = PythonJinjaAvailable();
  std::optional<std::vector<Result>> py;
  if (have_python) {
    py = Reference(TOKENFAB_SYSTEM_PYTHON, "chat_template_reference.py");
    ASSERT_TRUE(py.has_value()) << "the Python Jinja2 reference could not run";
    ASSERT_EQ(py->size(), ours_.size());
  }
  const std::vector<Result>& expected = have_python ? *py : *hf;

  size_t mismatches = 0, rendered = 0, hf_mismatches = 0, disagreements = 0;
  std::map<std::string, size_t> disagreements_by_template;
  for (size_t i = 0; i < ours_.size(); ++i) {
    const auto& [t, c] = index_[i];
    rendered += ours_[i].ok ? 1 : 0;
    if (!SameResult(expected[i], ours_[i]) && ++mismatches <= 10 && have_python) {
      ADD_FAILURE() << Describe(i, "the reference", expected[i], "tokenfab", ours_[i]);
    }
    hf_mismatches += SameResult((*hf)[i], ours_[i]) ? 0 : 1;
    if (have_python && !SameResult((*py)[i], (*hf)[i])) {
      ++disagreements;
      // One example per template.
      if (disagreements_by_template[t->name + (c->probe ? " (probe)" : "")]++ == 0) {
        std::cout << "references disagree: "
                  << Describe(i, "Python Jinja2", (*py)[i], "@huggingface/jinja", (*hf)[i]) << "\n";
      }
    }
  }
  std::cout << fmt::format(
      "chat template reference: {} conversations x {} templates = {} renders ({} rendered, {} "
      "errors expected by the reference); mismatches with {}: {}; tokenfab vs "
      "@huggingface/jinja: {}; Python Jinja2 vs @huggingface/jinja: {}\n",
      conversations_.size(), templates_.size(), ours_.size(), rendered, ours_.size() - rendered,
      have_python ? "Python Jinja2" : "@huggingface/jinja", mismatches, hf_mismatches,
      have_python ? std::to_string(disagreements) : "n/a");
  for (const auto& [name, count] : disagreements_by_template) {
    std::cout << "  references disagree on " << name << ": " << count << "\n";
  }
  EXPECT_GT(rendered, ours_.size() / 2);  // the grid really renders
  if (!have_python) {
    GTEST_SKIP() << TOKENFAB_SYSTEM_PYTHON << " has no jinja2, which defines the expected output "
                 << "(scripts/setup installs python3-jinja2)";
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace tokenfab::tokenizer
