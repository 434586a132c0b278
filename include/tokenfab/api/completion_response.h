// The answers of /v1/completions and /v1/chat/completions in OpenAI's exact shapes: the whole
// response object (non-streaming), the stream's chunks (`chat.completion.chunk`,
// `text_completion`), the last usage chunk (stream_options.include_usage) and the error event.
// Each function returns the JSON text; the caller frames it (HTTP body, or an SSE `data:` line
// followed, at the end, by `data: [DONE]`).
//
// Text is made valid UTF-8 on the way out (a byte that cannot start or continue a character
// becomes U+FFFD), since JSON text must be; log-probability entries keep the exact bytes in
// `bytes` as OpenAI does.
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/api/completion_request.h"

namespace tokenfab::api {

// Token counts of one request (summed over its choices; a prompt counted once per prompt).
struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens served from the prefix cache
};

struct TopLogprob {
  std::string token;  // the token's bytes
  float logprob = 0;  // natural log
};

// The log-probability of one generated token, and its likeliest alternatives.
struct LogprobEntry {
  std::string token;  // the token's bytes
  float logprob = 0;
  std::vector<TopLogprob> top;  // most likely first
  int64_t text_offset = 0;      // completions: byte offset of the token in the choice's text
};

// What every object of one response shares.
struct ResponseMeta {
  Endpoint endpoint = Endpoint::kCompletions;
  std::string id;       // "cmpl-..." or "chatcmpl-..." (MakeResponseId)
  int64_t created = 0;  // Unix seconds
  std::string model;
};

// "chatcmpl-" or "cmpl-" followed by 24 hex digits of `random_bits`.
std::string MakeResponseId(Endpoint endpoint, uint64_t random_bits, uint64_t more_bits);

// One finished choice of a non-streaming response.
struct ChoiceResult {
  int32_t index = 0;
  std::string text;                          // the whole generated text (echo: prompt first)
  std::string finish_reason;                 // "stop", "length", ...
  std::optional<std::vector<LogprobEntry>> logprobs;  // set when the request asked for them
};

// The whole response: `chat.completion` or `text_completion`, with usage.
std::string CompletionResponseJson(const ResponseMeta& meta,
                                   const std::vector<ChoiceResult>& choices, const Usage& usage);

// One piece of a streamed choice.
struct ChoiceDelta {
  int32_t index = 0;
  std::string_view text;
  bool first = false;  // chat: the choice's first chunk carries `role: assistant`
  const std::vector<LogprobEntry>* logprobs = nullptr;  // the tokens of `text`, when asked
  std::string_view finish_reason;  // empty: null (not finished)
};

// Stream chunks of one response. `include_usage` adds `"usage": null` to every chunk, as OpenAI
// does when the client asked for a usage chunk.
class StreamChunkFormatter {
 public:
  StreamChunkFormatter(ResponseMeta meta, bool include_usage)
      : meta_(std::move(meta)), include_usage_(include_usage) {}

  std::string Chunk(const ChoiceDelta& delta) const;
  // The last chunk when include_usage: no choices, the usage.
  std::string UsageChunk(const Usage& usage) const;

  const ResponseMeta& meta() const { return meta_; }

 private:
  ResponseMeta meta_;
  bool include_usage_;
};

// `text` with every byte that is not part of a valid UTF-8 character replaced by U+FFFD.
std::string ValidUtf8(std::string_view text);

}  // namespace tokenfab::api
