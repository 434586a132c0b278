#include "tokenfab/tokenizer/chat_template.h"

#include <utility>

#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/json.h"
#include "tokenizer/jinja/parser.h"

namespace tokenfab::tokenizer {

struct ChatTemplate::Parsed {
  std::string source;
  std::unique_ptr<jinja::Program> program;
  ChatTemplateFamily family = ChatTemplateFamily::kUnknown;
};

namespace {

Status Prefixed(const Status& status, std::string_view prefix) {
  return Status(status.code(), std::string(prefix) + std::string(status.message()));
}

// A JSON option as a Value; `what` names the option in errors.
StatusOr<jinja::Value> ParseOption(const std::string& json, std::string_view what) {
  StatusOr<jinja::Value> value = jinja::ParseJsonValue(json);
  if (!value.ok()) return Prefixed(value.status(), fmt::format("chat template {}: ", what));
  return value;
}

StatusOr<jinja::Value> MessageValue(const ChatMessage& message, size_t index) {
  std::vector<std::pair<std::string, jinja::Value>> entries;
  entries.emplace_back("role", jinja::Value::String(message.role));
  entries.emplace_back(
      "content", message.content ? jinja::Value::String(*message.content) : jinja::Value::None());
  if (message.reasoning_content) {
    entries.emplace_back("reasoning_content", jinja::Value::String(*message.reasoning_content));
  }
  if (message.name) entries.emplace_back("name", jinja::Value::String(*message.name));
  if (message.tool_call_id) {
    entries.emplace_back("tool_call_id", jinja::Value::String(*message.tool_call_id));
  }
  if (!message.tool_calls_json.empty()) {
    TF_ASSIGN_OR_RETURN(
        jinja::Value calls,
        ParseOption(message.tool_calls_json, fmt::format("messages[{}].tool_calls", index)));
    entries.emplace_back("tool_calls", std::move(calls));
  }
  return jinja::Value::Dict(std::move(entries));
}

jinja::RenderLimits ToRenderLimits(const ChatTemplateLimits& limits) {
  jinja::RenderLimits out;
  out.max_output_bytes = limits.max_output_bytes;
  out.max_steps = limits.max_steps;
  out.max_depth = limits.max_depth;
  out.max_micros = limits.max_micros;
  return out;
}

}  // namespace

ChatTemplate::ChatTemplate(std::shared_ptr<const Parsed> parsed) : parsed_(std::move(parsed)) {}
ChatTemplate::~ChatTemplate() = default;
ChatTemplate::ChatTemplate(const ChatTemplate&) = default;
ChatTemplate& ChatTemplate::operator=(const ChatTemplate&) = default;
ChatTemplate::ChatTemplate(ChatTemplate&&) noexcept = default;
ChatTemplate& ChatTemplate::operator=(ChatTemplate&&) noexcept = default;

StatusOr<ChatTemplate> ChatTemplate::Parse(std::string_view source) {
  StatusOr<std::unique_ptr<jinja::Program>> program = jinja::ParseTemplate(source);
  if (!program.ok()) return Prefixed(program.status(), "chat template: ");
  auto parsed = std::make_shared<Parsed>();
  parsed->source = std::string(source);
  parsed->program = std::move(*program);
  parsed->family = DetectChatTemplateFamily(source);
  return ChatTemplate(std::move(parsed));
}

const std::string& ChatTemplate::source() const { return parsed_->source; }
ChatTemplateFamily ChatTemplate::family() const { return parsed_->family; }

StatusOr<std::string> ChatTemplate::Render(const std::vector<ChatMessage>& messages,
                                           const ChatRenderOptions& options) const {
  std::vector<jinja::Value> message_values;
  message_values.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    TF_ASSIGN_OR_RETURN(jinja::Value message, MessageValue(messages[i], i));
    message_values.push_back(std::move(message));
  }
  std::vector<std::pair<std::string, jinja::Value>> variables;
  variables.emplace_back("messages", jinja::Value::List(std::move(message_values)));
  variables.emplace_back("add_generation_prompt",
                         jinja::Value::Bool(options.add_generation_prompt));
  variables.emplace_back("bos_token", jinja::Value::String(options.bos_token));
  variables.emplace_back("eos_token", jinja::Value::String(options.eos_token));
  if (!options.tools_json.empty()) {
    TF_ASSIGN_OR_RETURN(jinja::Value tools, ParseOption(options.tools_json, "tools"));
    variables.emplace_back("tools", std::move(tools));
  }
  if (options.enable_thinking) {
    variables.emplace_back("enable_thinking", jinja::Value::Bool(*options.enable_thinking));
  }
  if (!options.extra_context_json.empty()) {
    TF_ASSIGN_OR_RETURN(jinja::Value extra,
                        ParseOption(options.extra_context_json, "extra context"));
    if (!extra.is_object()) {
      return absl::InvalidArgumentError("chat template extra context: not a JSON object");
    }
    for (const auto& [key, value] : extra.object().entries)
      variables.emplace_back(key.string(), value);
  }
  const base::Clock& clock = options.clock != nullptr ? *options.clock : base::RealClock::Get();
  jinja::Interpreter interpreter(ToRenderLimits(options.limits), clock);
  StatusOr<std::string> out = interpreter.Render(*parsed_->program, std::move(variables));
  if (!out.ok()) return Prefixed(out.status(), "chat template: ");
  return out;
}

ChatTemplateFamily DetectChatTemplateFamily(std::string_view source) {
  auto has = [&](std::string_view needle) { return source.find(needle) != std::string_view::npos; };
  if (has("<|im_start|>")) return ChatTemplateFamily::kChatMl;
  if (has("<|start_header_id|>")) return ChatTemplateFamily::kLlama3;
  if (has("<<SYS>>")) return ChatTemplateFamily::kLlama2;
  if (has("[INST]")) return ChatTemplateFamily::kMistral;
  return ChatTemplateFamily::kUnknown;
}

}  // namespace tokenfab::tokenizer
