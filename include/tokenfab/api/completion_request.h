// CompletionRequest: a parsed and validated OpenAI `POST /v1/completions` or
// `POST /v1/chat/completions` body, ready to be tokenized and submitted to the engine.
//
// Fields read (null means "not given", as in the OpenAI API):
//   both      model, stream, stream_options.include_usage, max_tokens, temperature, top_p,
//             top_k, min_p, presence_penalty, frequency_penalty, repetition_penalty, seed, stop
//             (a string or an array of strings), n, user, and the vLLM extensions ignore_eos,
//             min_tokens, stop_token_ids
//   chat      messages (roles system, developer, user, assistant, tool; content a string, an
//             array of {"type": "text", "text": ...} parts, or null for an assistant turn with
//             tool_calls), max_completion_tokens (wins over max_tokens), logprobs (boolean) with
//             top_logprobs (0..20), tools (passed to the chat template), chat_template_kwargs
//             (vLLM: extra template variables such as enable_thinking)
//   completions  prompt (a string, an array of token ids, or an array of either: one prompt
//             each, the choices of prompt i being i*n .. i*n+n-1), logprobs (an integer 0..20:
//             that many alternatives per token), echo
// Unknown fields are ignored, as OpenAI-compatible servers do. A field of the wrong type or out
// of range is an InvalidArgument Status whose message names the field and which carries it as
// its `param` (api_error.h). Features we cannot honour with a field that asks for them (a
// non-empty logit_bias, a JSON response_format, suffix, best_of > n, echo with logprobs, image
// or audio content) are a 400 that says so rather than a silent wrong answer.
//
// Plain values; ParseCompletionRequest is a pure function, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/api/endpoint.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/sampling_params.h"
#include "tokenfab/tokenizer/chat_template.h"

namespace tokenfab::api {

// One prompt of a completions request: text, or token ids given by the client.
struct PromptInput {
  bool is_tokens = false;
  std::string text;             // when !is_tokens
  std::vector<int32_t> tokens;  // when is_tokens; non-empty, each >= 0
};

// The conversation of a chat request, as the chat template takes it.
struct ChatInput {
  // "developer" messages are given to the template as "system" (what templates know).
  std::vector<tokenizer::ChatMessage> messages;
  std::string tools_json;          // `tools`, a JSON array; empty: none
  std::string extra_context_json;  // `chat_template_kwargs`, a JSON object; empty: none
  std::optional<bool> enable_thinking;  // chat_template_kwargs.enable_thinking
};

// Upper bounds a server puts on one request, against requests that would tie it up.
struct RequestLimits {
  int32_t max_n = 16;           // choices per prompt
  int32_t max_choices = 64;     // prompts * n
  int32_t max_stop = 16;        // stop strings
  int32_t max_stop_bytes = 256;  // bytes per stop string
  int32_t max_messages = 4096;  // chat messages
  int32_t max_json_depth = 64;  // nesting of the body
};

// The API's default max_tokens for /v1/completions when the client gives none (OpenAI's).
inline constexpr int32_t kDefaultCompletionMaxTokens = 16;

struct CompletionRequest {
  Endpoint endpoint = Endpoint::kCompletions;
  std::string model;  // as sent; empty when not given

  ChatInput chat;                    // chat only
  std::vector<PromptInput> prompts;  // completions only: one or more

  // Temperature, truncation, penalties, seed, stop strings and token ids, logprobs. The
  // repetition penalty applies over the whole sequence (vLLM's meaning). sampling.max_tokens
  // holds max_tokens when given; otherwise 16 for completions and kNoLimit for chat (the engine
  // cuts it to what the context leaves).
  engine::SamplingParams sampling;
  bool max_tokens_given = false;
  static constexpr int32_t kNoLimit = 1 << 30;

  int32_t min_tokens = 0;   // no end-of-generation or stop before this many tokens (vLLM)
  bool ignore_eos = false;  // do not stop at the model's end-of-generation tokens (vLLM)
  int32_t n = 1;            // choices per prompt
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage: a last chunk with usage
  bool echo = false;           // completions: the prompt's text before each choice's text
  std::string user;            // the OpenAI `user` (an end-user id for abuse monitoring)

  // prompts.size() * n for completions, n for chat.
  int32_t num_choices() const;
};

// Parses `body` as a request to `endpoint`. Errors: InvalidArgument (400) naming the field, with
// the field as the Status's param; the body not being a JSON object (param null).
[[nodiscard]] StatusOr<CompletionRequest> ParseCompletionRequest(
    Endpoint endpoint, std::string_view body, const RequestLimits& limits = {});

}  // namespace tokenfab::api
