#include "node/prompt_preparer.h"

#include <fmt/format.h>

#include "tokenfab/api/api_error.h"
#include "tokenfab/tokenizer/chat_prompt.h"

namespace tokenfab::node {
namespace {

StatusOr<PreparedPrompt> PrepareChat(const api::CompletionRequest& request,
                                     const ModelHost& host) {
  const tokenizer::ChatTemplate* chat_template = host.chat_template();
  if (chat_template == nullptr) {
    return api::InvalidParamError(
        "messages",
        fmt::format("this model has no usable chat template ({}); use /v1/completions, or start "
                    "the node with --chat-template",
                    host.chat_template_error().message()));
  }
  tokenizer::ChatRenderOptions options;
  options.tools_json = request.chat.tools_json;
  options.enable_thinking = request.chat.enable_thinking;
  options.extra_context_json = request.chat.extra_context_json;
  StatusOr<std::vector<int32_t>> tokens =
      tokenizer::EncodeChat(host.tokenizer(), *chat_template, request.chat.messages, options);
  if (!tokens.ok()) {
    // The template refused the conversation (raise_exception) or a limit was hit.
    return api::InvalidParamError("messages", std::string(tokens.status().message()));
  }
  return PreparedPrompt{*std::move(tokens), {}};
}

StatusOr<PreparedPrompt> PrepareCompletion(const api::PromptInput& input, bool echo,
                                           const tokenizer::Tokenizer& tokenizer) {
  PreparedPrompt prompt;
  if (input.is_tokens) {
    if (Status status = tokenizer.CheckIds(input.tokens); !status.ok()) {
      return api::InvalidParamError("prompt", std::string(status.message()));
    }
    prompt.tokens = input.tokens;
    if (echo) prompt.echo_text = tokenizer.Decode(input.tokens);
  } else {
    prompt.tokens = tokenizer.Encode(input.text, /*add_special=*/true, /*parse_special=*/true);
    if (echo) prompt.echo_text = input.text;
  }
  return prompt;
}

}  // namespace

StatusOr<std::vector<PreparedPrompt>> PreparePrompts(const api::CompletionRequest& request,
                                                     const ModelHost& host,
                                                     int64_t max_model_len) {
  const bool chat = request.endpoint == api::Endpoint::kChatCompletions;
  const std::string_view param = chat ? "messages" : "prompt";
  std::vector<PreparedPrompt> prompts;
  if (chat) {
    TF_ASSIGN_OR_RETURN(PreparedPrompt prompt, PrepareChat(request, host));
    prompts.push_back(std::move(prompt));
  } else {
    for (const api::PromptInput& input : request.prompts) {
      TF_ASSIGN_OR_RETURN(PreparedPrompt prompt,
                          PrepareCompletion(input, request.echo, host.tokenizer()));
      prompts.push_back(std::move(prompt));
    }
  }
  for (const PreparedPrompt& prompt : prompts) {
    if (prompt.tokens.empty()) {
      return api::InvalidParamError(param, fmt::format("the {} is empty (no tokens)", param));
    }
    const int64_t n = static_cast<int64_t>(prompt.tokens.size());
    if (n >= max_model_len) {
      return api::InvalidParamError(
          param, fmt::format("This model's maximum context length is {} tokens. However, your "
                             "{} resulted in {} tokens, which leaves no room to generate.",
                             max_model_len, chat ? "messages" : "prompt", n));
    }
  }
  return prompts;
}

}  // namespace tokenfab::node
