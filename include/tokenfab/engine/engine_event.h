// EngineEvent: one item of a request's stream, as the engine delivers it through the request's
// handle: a generated token (with its text, when the text is ready, and logprobs when asked), and
// at the end exactly one finished event with the reason, the usage and the timings.
// Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/request_state.h"
#include "tokenfab/engine/sampler.h"
#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::engine {

// Token counts of one request, as the API and the ledger report them.
struct EngineUsage {
  int32_t prompt_tokens = 0;
  // Prompt tokens served from the prefix cache at the first admission (the API's
  // usage.prompt_tokens_details.cached_tokens); a multiple of the block size.
  int32_t cached_prompt_tokens = 0;
  // Tokens generated, including a final stop token (whose text is never emitted).
  int32_t completion_tokens = 0;
};

// Where the time of one request went, engine clock, µs; -1 when it did not happen (no token).
struct EngineTimings {
  int64_t queue_us = -1;   // Submit() -> first admission to the KV cache
  int64_t ttft_us = -1;    // Submit() -> first generated token
  int64_t tpot_us = -1;    // mean gap between consecutive generated tokens (needs two tokens)
  int64_t total_us = 0;    // Submit() -> the end
  int32_t preemptions = 0;
};

struct EngineEvent {
  enum class Kind {
    kToken,     // a generated token
    kFinished,  // the end of the stream: always the last event, exactly once
  };
  Kind kind = Kind::kToken;

  // kToken: the token (never a stop token: those end the stream without a token event).
  // kFinished: kNoToken.
  Token token = kNoToken;
  // Text that became ready: whole UTF-8 characters, never part of a stop string. It can be empty
  // (bytes of an unfinished character, or a possible beginning of a stop string, held back) and
  // can carry text of earlier tokens that was held back. On kFinished, whatever was still held
  // (empty after a stop string). The concatenation of every event's text is the answer.
  std::string text;

  // kToken, when the request asked for logprobs (see sampler.h for which distribution).
  bool has_logprobs = false;
  float logprob = 0;
  std::vector<TokenLogprob> top_logprobs;  // [sampling.top_logprobs], most likely first

  // kFinished only.
  FinishReason finish_reason = FinishReason::kNone;  // kStop, kLength, kCancelled or kError
  Status status;  // OK for kStop/kLength/kCancelled by the client; the cause for kError, and
                  // Unavailable when the engine shut down under the request (kCancelled)
  EngineUsage usage;
  EngineTimings timings;

  bool finished() const { return kind == Kind::kFinished; }
};

}  // namespace tokenfab::engine
