// Chat templates: turn a conversation (OpenAI-style `messages`) into the prompt text a model was
// trained on, exactly as the model's own `tokenizer.chat_template` does under Hugging Face's
// apply_chat_template (Jinja2 with trim_blocks and lstrip_blocks, `raise_exception`,
// `strftime_now` and a `tojson` that is Python's json.dumps). The template language is
// interpreted by tokenfab's own Jinja implementation (src/tokenizer/jinja/).
//
//   StatusOr<ChatTemplate> t = ChatTemplate::Parse(vocab.chat_template);
//   ChatRenderOptions options;
//   options.bos_token = "<|begin_of_text|>";
//   StatusOr<std::string> prompt = t->Render({{"system", "Be brief."}, {"user", "Hi"}}, options);
//
// Templates come from model files, which users supply: a template that does not parse, uses an
// unsupported construct, calls raise_exception() or runs away (steps, nesting, output size, time)
// is an error Status naming the line and column, never a crash or a hang. A model without a
// usable template can fall back to a built-in one the user picks by name (ResolveChatTemplate).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"

namespace tokenfab::tokenizer {

// One message of a conversation, as OpenAI's chat API carries it. In the template each message is
// a dict with "role" and "content", plus the optional fields that are set.
struct ChatMessage {
  ChatMessage() = default;
  // {"user", "Hello"}.
  ChatMessage(std::string role, std::optional<std::string> content)
      : role(std::move(role)), content(std::move(content)) {}

  std::string role;  // "system", "user", "assistant", "tool", ...
  // nullopt renders as None (an assistant turn that only calls tools).
  std::optional<std::string> content;
  // Optional fields (absent from the dict when nullopt / empty, so `is defined` is false).
  std::optional<std::string> reasoning_content;  // the thinking of a reasoning model's turn
  std::optional<std::string> name;
  std::optional<std::string> tool_call_id;  // for role "tool"
  // JSON array of the turn's tool calls, OpenAI form:
  // [{"id": "...", "type": "function", "function": {"name": "...", "arguments": ...}}].
  std::string tool_calls_json;
};

// Bounds on one render, against hostile or broken templates.
struct ChatTemplateLimits {
  size_t max_output_bytes = size_t{16} << 20;  // bytes of prompt (and of any string built)
  int64_t max_steps = 5'000'000;    // statements, expressions, loop iterations, built sizes
  int max_depth = 300;              // nesting being evaluated (macro recursion)
  int64_t max_micros = 10'000'000;  // wall time on the clock's monotonic reading; 0: none
};

struct ChatRenderOptions {
  // Ends the prompt with the opening of an assistant turn (variable `add_generation_prompt`).
  bool add_generation_prompt = true;
  // Variables `bos_token` and `eos_token` (the model's special token texts).
  std::string bos_token;
  std::string eos_token;
  // JSON array of tool definitions (OpenAI `tools`), variable `tools`; empty: not defined.
  std::string tools_json;
  // Variable `enable_thinking` (Qwen 3 and others); nullopt: not defined (the template's default).
  std::optional<bool> enable_thinking;
  // More variables, as a JSON object (e.g. {"date_string": "26 Jul 2024"}); empty: none. They
  // override the variables above.
  std::string extra_context_json;
  // The clock behind strftime_now() (formatted in UTC) and the time limit; null: the real clock.
  const base::Clock* clock = nullptr;
  ChatTemplateLimits limits;
};

// The template families tokenfab recognises (DetectChatTemplateFamily).
enum class ChatTemplateFamily {
  kUnknown,
  kChatMl,   // <|im_start|>role ... <|im_end|> (Qwen 2/2.5/3, many fine-tunes)
  kLlama3,   // <|start_header_id|>role<|end_header_id|> ... <|eot_id|>
  kLlama2,   // [INST] <<SYS>> ... <</SYS>> ... [/INST]
  kMistral,  // [INST] ... [/INST] without <<SYS>> (v1, v3, v7 [SYSTEM_PROMPT])
};

// A parsed chat template. Copies share the parsed program; Render() is const and thread-safe.
class ChatTemplate {
 public:
  // Parses Jinja source. Errors: "chat template: line L, column C: ..." (INVALID_ARGUMENT).
  [[nodiscard]] static StatusOr<ChatTemplate> Parse(std::string_view source);

  // Renders `messages`. Errors carry the template position: what raise_exception() said
  // (INVALID_ARGUMENT), a runtime error such as an undefined value used as a string
  // (INVALID_ARGUMENT), a limit hit (RESOURCE_EXHAUSTED), or malformed JSON in the options.
  [[nodiscard]] StatusOr<std::string> Render(const std::vector<ChatMessage>& messages,
                                             const ChatRenderOptions& options) const;

  const std::string& source() const;
  ChatTemplateFamily family() const;

  ~ChatTemplate();
  ChatTemplate(const ChatTemplate&);
  ChatTemplate& operator=(const ChatTemplate&);
  ChatTemplate(ChatTemplate&&) noexcept;
  ChatTemplate& operator=(ChatTemplate&&) noexcept;

 private:
  struct Parsed;
  explicit ChatTemplate(std::shared_ptr<const Parsed> parsed);
  std::shared_ptr<const Parsed> parsed_;
};

// The family a template's source belongs to, from the special tokens it writes.
ChatTemplateFamily DetectChatTemplateFamily(std::string_view source);

// The built-in templates a user can choose when a model has no usable template:
//   chatml      generic ChatML (no system default, no tools)
//   llama3      Meta Llama 3 instruct
//   llama2      Meta Llama 2 chat (an optional system prompt inside the first [INST])
//   mistral     Mistral 7B Instruct v0.2/v0.3 ("v1": optional system prompt before the first
//               user turn, roles must alternate)
//   mistral-v7  Mistral Large 2411 style ([SYSTEM_PROMPT] ... [/SYSTEM_PROMPT])
const std::vector<std::string>& BuiltinChatTemplateNames();
// The Jinja source of the built-in template `name`; an unknown name is an error listing the names.
[[nodiscard]] StatusOr<std::string_view> BuiltinChatTemplate(std::string_view name);

// The template to render a model's chats with. `choice` empty or "auto": the model's own
// template (`model_template`, the GGUF's tokenizer.chat_template); it is an error, suggesting the
// built-in names, when the model has none or it does not parse. Otherwise `choice` names a
// built-in template, which replaces the model's.
[[nodiscard]] StatusOr<ChatTemplate> ResolveChatTemplate(std::string_view model_template,
                                                         std::string_view choice);

}  // namespace tokenfab::tokenizer
