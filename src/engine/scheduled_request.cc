#include "tokenfab/engine/scheduled_request.h"

#include <utility>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {

ScheduledRequest::ScheduledRequest(RequestSpec spec, int64_t arrival_us, uint64_t arrival_seq,
                                   int32_t max_new_tokens)
    : spec_(std::move(spec)),
      arrival_seq_(arrival_seq),
      num_prompt_tokens_(static_cast<int32_t>(spec_.prompt.size())),
      max_new_tokens_(max_new_tokens) {
  TF_CHECK(!spec_.prompt.empty()) << "request " << spec_.id << " has an empty prompt";
  TF_CHECK(max_new_tokens_ >= 1) << "request " << spec_.id << " may generate no token";
  tokens_.reserve(spec_.prompt.size() + static_cast<size_t>(max_new_tokens_));
  tokens_.assign(spec_.prompt.begin(), spec_.prompt.end());
  times_.arrival_us = arrival_us;
}

void ScheduledRequest::TransitionTo(RequestState next, int64_t now_us, FinishReason reason) {
  TF_CHECK(IsValidTransition(state_, next))
      << "request " << id() << ": illegal transition " << RequestStateName(state_) << " -> "
      << RequestStateName(next);
  switch (next) {
    case RequestState::kFinished:
      TF_CHECK(reason == FinishReason::kStop || reason == FinishReason::kLength)
          << "request " << id() << " finished without a stop or length reason";
      break;
    case RequestState::kCancelled:
      TF_CHECK(reason == FinishReason::kNone || reason == FinishReason::kCancelled);
      reason = FinishReason::kCancelled;
      break;
    case RequestState::kFailed:
      TF_CHECK(reason == FinishReason::kNone || reason == FinishReason::kError);
      reason = FinishReason::kError;
      break;
    case RequestState::kQueued:
    case RequestState::kPrefilling:
    case RequestState::kDecoding:
    case RequestState::kPreempted:
      TF_CHECK(reason == FinishReason::kNone)
          << "request " << id() << ": a finish reason on a non-terminal transition";
      break;
  }
  if (next == RequestState::kPrefilling && times_.first_scheduled_us < 0) {
    times_.first_scheduled_us = now_us;
  }
  if (next == RequestState::kPreempted) ++num_preemptions_;
  if (IsTerminal(next)) {
    times_.finished_us = now_us;
    finish_reason_ = reason;
  }
  state_ = next;
}

void ScheduledRequest::AppendToken(Token token, int64_t now_us) {
  TF_CHECK(num_generated_tokens() < max_new_tokens_)
      << "request " << id() << " generated past its limit";
  tokens_.push_back(token);
  if (times_.first_token_us < 0) times_.first_token_us = now_us;
  times_.last_token_us = now_us;
}

void ScheduledRequest::SetComputedTokens(int32_t n) {
  TF_CHECK(n >= 0 && n <= num_tokens())
      << "request " << id() << ": " << n << " computed of " << num_tokens();
  num_computed_tokens_ = n;
}

void ScheduledRequest::SetCachedPromptTokens(int32_t n) {
  TF_CHECK(n >= 0 && n <= num_prompt_tokens_);
  num_cached_prompt_tokens_ = n;
}

}  // namespace tokenfab::engine
