// The built-in chat templates (the fallback a user can choose) and ResolveChatTemplate().
// Each is the template the model family publishes in its tokenizer_config.json.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_join.h"
#include "tokenfab/tokenizer/chat_template.h"

namespace tokenfab::tokenizer {
namespace {

struct Builtin {
  std::string_view name;
  std::string_view source;
};

// Generic ChatML (teknium/OpenHermes-2.5-Mistral-7B and many others).
constexpr std::string_view kChatMl =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] "
    "+ "
    "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' "
    "}}"
    "{% endif %}";

// Meta Llama 3 instruct (tokenizer_config.json of Meta-Llama-3-8B-Instruct).
constexpr std::string_view kLlama3 =
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ "
    "message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}"
    "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% "
    "endif %}";

// Meta Llama 2 chat (tokenizer_config.json of Llama-2-7b-chat-hf).
constexpr std::string_view kLlama2 =
    "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}"
    "{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}"
    "{% set system_message = false %}{% endif %}{% for message in loop_messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if loop.index0 == 0 and system_message != false %}"
    "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
    "{% else %}{% set content = message['content'] %}{% endif %}"
    "{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}"
    "{% endif %}{% endfor %}";

// Mistral 7B Instruct v0.2/v0.3 ("v1" tokenization, optional system prompt).
constexpr std::string_view kMistral = R"({%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content'] %}
    {%- set loop_messages = messages[1:] %}
{%- else %}
    {%- set loop_messages = messages %}
{%- endif %}

{{- bos_token }}
{%- for message in loop_messages %}
    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
        {{- raise_exception('After the optional system message, conversation roles must alternate user/assistant/user/assistant/...') }}
    {%- endif %}
    {%- if message['role'] == 'user' %}
        {%- if loop.first and system_message is defined %}
            {{- ' [INST] ' + system_message + '\n\n' + message['content'] + ' [/INST]' }}
        {%- else %}
            {{- ' [INST] ' + message['content'] + ' [/INST]' }}
        {%- endif %}
    {%- elif message['role'] == 'assistant' %}
        {{- ' ' + message['content'] + eos_token}}
    {%- else %}
        {{- raise_exception('Only user and assistant roles are supported, with the exception of an initial optional system message!') }}
    {%- endif %}
{%- endfor %}
)";

// Mistral Large 2411 ("v7": system prompts in [SYSTEM_PROMPT]).
constexpr std::string_view kMistralV7 =
    "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
    "{{ '[INST] ' + message['content'] + '[/INST]' }}{% elif message['role'] == 'system' %}"
    "{{ '[SYSTEM_PROMPT] ' + message['content'] + '[/SYSTEM_PROMPT]' }}"
    "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] + eos_token }}"
    "{% else %}{{ raise_exception('Only user, system and assistant roles are supported!') }}"
    "{% endif %}{% endfor %}";

constexpr Builtin kBuiltins[] = {
    {"chatml", kChatMl},   {"llama3", kLlama3},        {"llama2", kLlama2},
    {"mistral", kMistral}, {"mistral-v7", kMistralV7},
};

std::string NameList() { return absl::StrJoin(BuiltinChatTemplateNames(), ", "); }

}  // namespace

const std::vector<std::string>& BuiltinChatTemplateNames() {
  static const auto* const kNames = [] {
    auto* names = new std::vector<std::string>();
    for (const Builtin& b : kBuiltins) names->emplace_back(b.name);
    return names;
  }();
  return *kNames;
}

StatusOr<std::string_view> BuiltinChatTemplate(std::string_view name) {
  for (const Builtin& b : kBuiltins) {
    if (b.name == name) return b.source;
  }
  return absl::NotFoundError(
      fmt::format("unknown built-in chat template '{}' (known: {})", name, NameList()));
}

StatusOr<ChatTemplate> ResolveChatTemplate(std::string_view model_template,
                                           std::string_view choice) {
  if (!choice.empty() && choice != "auto") {
    TF_ASSIGN_OR_RETURN(std::string_view source, BuiltinChatTemplate(choice));
    return ChatTemplate::Parse(source);
  }
  if (model_template.empty()) {
    return absl::FailedPreconditionError(fmt::format(
        "the model has no chat template (tokenizer.chat_template); choose a built-in one: {}",
        NameList()));
  }
  StatusOr<ChatTemplate> parsed = ChatTemplate::Parse(model_template);
  if (!parsed.ok()) {
    return Status(
        parsed.status().code(),
        fmt::format("the model's chat template cannot be used ({}); choose a built-in one: {}",
                    parsed.status().message(), NameList()));
  }
  return parsed;
}

}  // namespace tokenfab::tokenizer
