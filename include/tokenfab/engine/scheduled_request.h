// ScheduledRequest: the record of one generation request inside the engine: what was asked
// (RequestSpec), where it stands (RequestState, tokens computed), and when things happened
// (RequestTimes, for queue time, TTFT and TPOT).
//
// Ownership: the Scheduler owns every live ScheduledRequest; a terminated one is handed to the
// engine (Scheduler::TakeTerminated) for usage accounting. Not thread-safe: the engine's loop
// thread owns the scheduler and everything in it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tokenfab/engine/request_state.h"
#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::engine {

// Chosen by the engine, unique among the scheduler's live requests.
using RequestId = uint64_t;

// What a client asks for. A plain value.
struct RequestSpec {
  RequestId id = 0;
  // Mixed into every prefix-cache block hash, so one tenant's cached prefixes are invisible to
  // another's requests (see block_hash.h, TenantSalt()). 0 = the shared namespace.
  uint64_t tenant_salt = 0;
  std::vector<Token> prompt;  // [num_prompt_tokens], at least one
  // Larger runs first (the tenant's tier). Requests of equal priority run in arrival order.
  int32_t priority = 0;
  // Hint: monotonic time (µs, the engine clock) by which the client wants the request done;
  // 0 = none. Carried for deadline-aware policies; the scheduler orders by priority and arrival.
  int64_t deadline_us = 0;
  // When the request reached the engine (engine clock, µs), if earlier than the Scheduler's
  // Submit(): queue time and TTFT count from here. -1 = at Submit().
  int64_t arrival_us = -1;
  // Time per output token this request's tier is promised, µs; 0 = the scheduler's default
  // (SchedulerConfig::tpot_slo_us). While it decodes, steps are sized to keep it.
  int64_t tpot_slo_us = 0;
  SamplingParams sampling;
};

// Timestamps on the engine clock (monotonic µs); -1 = not happened yet.
struct RequestTimes {
  int64_t arrival_us = -1;          // Submit()
  int64_t first_scheduled_us = -1;  // first admission (queue time = this - arrival)
  int64_t first_token_us = -1;      // first generated token (TTFT = this - arrival)
  int64_t last_token_us = -1;       // latest generated token
  int64_t finished_us = -1;         // entered a terminal state
};

class ScheduledRequest {
 public:
  // `arrival_seq` orders requests of equal priority (smaller first); `max_new_tokens` is
  // sampling.max_tokens cut to what the context length leaves after the prompt.
  // REQUIRES: spec.prompt non-empty, max_new_tokens >= 1.
  ScheduledRequest(RequestSpec spec, int64_t arrival_us, uint64_t arrival_seq,
                   int32_t max_new_tokens);
  ScheduledRequest(const ScheduledRequest&) = delete;
  ScheduledRequest& operator=(const ScheduledRequest&) = delete;

  const RequestSpec& spec() const { return spec_; }
  RequestId id() const { return spec_.id; }
  int32_t priority() const { return spec_.priority; }
  uint64_t arrival_seq() const { return arrival_seq_; }
  const SamplingParams& sampling() const { return spec_.sampling; }

  RequestState state() const { return state_; }
  FinishReason finish_reason() const { return finish_reason_; }

  // The only way the state changes. TF_CHECKs IsValidTransition(state(), next): the scheduler
  // decides every transition from its own bookkeeping, so an illegal one is a bug in it, not bad
  // input, and going on would corrupt the KV block accounting. `reason` is required (and only
  // allowed) when next is kFinished (kStop or kLength); cancelled and failed set their own.
  // Stamps times(): first admission, finish; counts preemptions.
  void TransitionTo(RequestState next, int64_t now_us, FinishReason reason = FinishReason::kNone);

  // The sequence: prompt, then generated tokens. [num_tokens()]
  std::span<const Token> tokens() const { return tokens_; }
  int32_t num_tokens() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t num_prompt_tokens() const { return num_prompt_tokens_; }
  int32_t num_generated_tokens() const { return num_tokens() - num_prompt_tokens_; }
  std::span<const Token> generated() const {
    return std::span<const Token>(tokens_).subspan(num_prompt_tokens_);
  }
  int32_t max_new_tokens() const { return max_new_tokens_; }

  // Tokens whose K/V are in the request's KV blocks (computed, or found in the prefix cache).
  // The next step computes from this position. 0 while waiting.
  int32_t num_computed_tokens() const { return num_computed_tokens_; }
  // Prompt tokens served from the prefix cache at the first admission (the API's
  // `cached_tokens`). Later re-admissions after preemption do not change it.
  int32_t num_cached_prompt_tokens() const { return num_cached_prompt_tokens_; }
  int32_t num_preemptions() const { return num_preemptions_; }
  bool ever_admitted() const { return times_.first_scheduled_us >= 0; }
  const RequestTimes& times() const { return times_; }

  // Progress, recorded by the scheduler.
  // Appends a generated token; stamps the first/last token times.
  void AppendToken(Token token, int64_t now_us);
  // REQUIRES: 0 <= n <= num_tokens().
  void SetComputedTokens(int32_t n);
  // Recorded once, at the first admission.
  void SetCachedPromptTokens(int32_t n);

 private:
  const RequestSpec spec_;
  const uint64_t arrival_seq_;
  const int32_t num_prompt_tokens_;
  const int32_t max_new_tokens_;
  RequestState state_ = RequestState::kQueued;
  FinishReason finish_reason_ = FinishReason::kNone;
  std::vector<Token> tokens_;
  int32_t num_computed_tokens_ = 0;
  int32_t num_cached_prompt_tokens_ = 0;
  int32_t num_preemptions_ = 0;
  RequestTimes times_;
};

}  // namespace tokenfab::engine
