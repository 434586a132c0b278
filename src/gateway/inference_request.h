// InferenceRequest: what the gateway reads from an OpenAI-compatible request body (POST
// /v1/chat/completions or /v1/completions) and how it rewrites the body for an upstream.
//
// The gateway reads only what it routes, admits and meters on: the model, whether the answer
// streams, whether the client asked for usage, max_tokens, and the prompt (messages or prompt
// text or token ids, for counting and prefix hashing). Every other field passes through
// untouched. The rewrite for an upstream adds `stream_options.include_usage: true` to streams (so
// usage comes back from the upstream), and `cache_prompt: true` for llama.cpp servers (its
// prompt cache).
//
// Plain data after parsing; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "tokenfab/api/endpoint.h"
#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/tokenizer/chat_template.h"

namespace tokenfab::gateway {

struct InferenceRequest {
  api::Endpoint endpoint = api::Endpoint::kChatCompletions;
  std::string model;
  bool stream = false;
  bool client_wants_usage = false;  // stream_options.include_usage as the client sent it
  int64_t max_tokens = 0;           // max_tokens or max_completion_tokens; 0: not given
  std::string max_tokens_field;     // which of the two gave it (the param of an error about it)
  int64_t n = 1;                    // choices per prompt
  std::vector<tokenizer::ChatMessage> messages;  // chat: the conversation (text parts joined)
  std::vector<std::string> prompts;              // completions: the prompt text(s)
  std::vector<int32_t> prompt_ids;    // completions: the prompts given as token ids, concatenated
  int64_t prompt_count = 1;           // completions: prompts in the request (each gets n choices)
  std::string service_tier = "auto";  // as asked: "auto", "default", "flex" or "priority"
  size_t prompt_bytes = 0;            // bytes of prompt text (messages' contents or prompts)
  boost::json::object body;           // the whole body as parsed

  // The prompt as one text, for prefix hashing: chat messages as "role\n content\n" in order,
  // completion prompts concatenated.
  std::string PromptText() const;
  // Choices the answer may hold: n per prompt.
  int64_t choices() const { return n * prompt_count; }
};

// Parses `body`. InvalidArgument, with a message fit for the client (OpenAI's 400
// invalid_request_error) and the field at fault as its param (api::InvalidParamError), when it
// is not a JSON object, has no model, its messages/prompt are malformed, its service_tier is not
// one of OpenAI's four, or a numeric field is of the wrong kind or out of its range
// (api/numeric_fields.h: the same table the node checks).
[[nodiscard]] StatusOr<InferenceRequest> ParseInferenceRequest(api::Endpoint endpoint,
                                                               std::string_view body);

// The body to send to an upstream of `kind`.
std::string UpstreamBody(const InferenceRequest& request, fleet::UpstreamKind kind);

}  // namespace tokenfab::gateway
