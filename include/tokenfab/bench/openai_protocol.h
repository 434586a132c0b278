// The client side of the OpenAI-compatible streaming API, as far as a load generator needs it:
// request bodies for /v1/completions and /v1/chat/completions, and the meaning of each streamed
// chunk (content or not, usage, error, the [DONE] marker).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/api/endpoint.h"
#include "tokenfab/base/status.h"

namespace tokenfab::bench {

struct RequestBodyOptions {
  api::Endpoint endpoint = api::Endpoint::kCompletions;
  std::string model;
  // Ask the server to generate exactly max_tokens: `ignore_eos: true` and `min_tokens` (vLLM,
  // SGLang, llama.cpp, tokenfab accept them; OpenAI itself rejects them).
  bool ignore_eos = true;
  // `stream_options: {include_usage: true}`, for exact token counts in the last chunk.
  bool include_usage = true;
  // A JSON object whose members are added to (and override) every body, e.g.
  // {"temperature": 0}; empty for none.
  std::string extra_body_json;
};

// Builds request bodies; validates the options once. Immutable; thread-safe.
class RequestBodyBuilder {
 public:
  // InvalidArgument when extra_body_json is not a JSON object.
  [[nodiscard]] static StatusOr<RequestBodyBuilder> Create(RequestBodyOptions options);
  ~RequestBodyBuilder();
  RequestBodyBuilder(RequestBodyBuilder&&) noexcept;
  RequestBodyBuilder& operator=(RequestBodyBuilder&&) noexcept;

  // A streaming request for `max_tokens` tokens after `prompt` (chat: one user message).
  std::string Build(std::string_view prompt, int max_tokens) const;
  // The same with the prompt as token ids (completions only: chat content is text).
  std::string Build(const std::vector<int32_t>& prompt, int max_tokens) const;

  const RequestBodyOptions& options() const;

 private:
  struct Impl;
  explicit RequestBodyBuilder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// What one server-sent event of a streamed answer carries.
struct StreamChunk {
  bool done = false;                     // the "[DONE]" marker
  bool content = false;                  // generated text (or reasoning text) in the first choice
  std::optional<int64_t> prompt_tokens;  // from `usage`
  std::optional<int64_t> completion_tokens;  // from `usage`
  // Prompt tokens served from the server's prefix cache, from
  // `usage.prompt_tokens_details.cached_tokens` (OpenAI, vLLM, llama.cpp report it).
  std::optional<int64_t> cached_tokens;
  std::optional<std::string> error;  // an `error` object's message
  std::optional<std::string> finish_reason;
};

// Interprets one event's data. DataLoss when it is neither "[DONE]" nor a JSON object.
[[nodiscard]] StatusOr<StreamChunk> ParseStreamChunk(std::string_view data, api::Endpoint endpoint);

}  // namespace tokenfab::bench
