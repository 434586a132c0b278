// RequestRecord: what the load generator observed about one request, in clock microseconds, and
// the per-request metrics derived from it:
//   TTFT = first content chunk − sent;  E2E = end of the stream − sent;
//   TPOT = (E2E − TTFT) / (output tokens − 1)  (undefined for one output token);
//   ITL  = the gaps between consecutive content chunks (a chunk may carry several tokens).
// Output tokens are the server's `usage.completion_tokens` when it reports usage, otherwise the
// number of content chunks. A plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tokenfab::bench {

struct RequestRecord {
  int64_t index = 0;  // position in the plan
  int expected_input_tokens = 0;
  int expected_output_tokens = 0;
  int64_t scheduled_us = 0;     // when the plan said to send it
  int64_t sent_us = 0;          // when it was sent (later when the concurrency cap held it)
  int64_t first_token_us = -1;  // first content chunk; -1: none
  int64_t last_token_us = -1;   // last content chunk; -1: none
  int64_t end_us = 0;           // the stream ended (or the request failed)
  std::vector<int64_t> itl_us;  // gaps between consecutive content chunks
  int64_t content_chunks = 0;
  std::optional<int64_t> prompt_tokens;      // usage, when reported
  std::optional<int64_t> completion_tokens;  // usage, when reported
  std::optional<int64_t> cached_tokens;      // prompt tokens from the prefix cache, if reported
  int http_status = 0;
  // Empty on success; else one of: connect, timeout, http_<status>, stream_error, incomplete,
  // empty_response, bad_event, cancelled, other.
  std::string error_kind;
  std::string error_message;

  bool ok() const { return error_kind.empty(); }
  int64_t OutputTokens() const { return completion_tokens.value_or(content_chunks); }
  int64_t InputTokens() const { return prompt_tokens.value_or(expected_input_tokens); }
  double TtftMs() const { return static_cast<double>(first_token_us - sent_us) / 1000.0; }
  double E2eMs() const { return static_cast<double>(end_us - sent_us) / 1000.0; }
  // NaN when OutputTokens() <= 1.
  double TpotMs() const;
  double QueueDelayMs() const { return static_cast<double>(sent_us - scheduled_us) / 1000.0; }
};

}  // namespace tokenfab::bench
