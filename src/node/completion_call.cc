#include "node/completion_call.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "tokenfab/api/api_error.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/engine/block_hash.h"

namespace tokenfab::node {
namespace {

// The answer to a refused submission.
api::ApiError SubmitError(const Status& status) {
  api::ApiError error = api::ApiErrorFromStatus(status);
  if (std::optional<int64_t> ms = engine::RetryAfterMillis(status)) {
    error.retry_after_s = static_cast<int>(std::max<int64_t>(1, (*ms + 999) / 1000));
  } else if (error.http_status == 429 || error.http_status == 503) {
    error.retry_after_s = 1;
  }
  return error;
}

bool CleanEnd(engine::FinishReason reason) {
  return reason == engine::FinishReason::kStop || reason == engine::FinishReason::kLength;
}

}  // namespace

CompletionCall::CompletionCall(NodeContext& node, std::shared_ptr<net::HttpExchange> exchange,
                               api::CompletionRequest request, std::vector<PreparedPrompt> prompts,
                               api::ResponseMeta meta, CallContext context)
    : node_(node),
      exchange_(std::move(exchange)),
      request_(std::move(request)),
      prompts_(std::move(prompts)),
      formatter_(std::move(meta), request_.include_usage),
      context_(std::move(context)),
      handler_(api::EndpointPath(request_.endpoint)) {}

CompletionCall::~CompletionCall() = default;

void CompletionCall::Start(ModelHost& host) {
  tokenizer_ = &host.tokenizer();
  absl::MutexLock lock(&mu_);
  for (int32_t p = 0; p < static_cast<int32_t>(prompts_.size()); ++p) {
    for (int32_t j = 0; j < request_.n; ++j) {
      Choice choice;
      choice.index = p * request_.n + j;
      choice.prompt_index = p;
      choices_.push_back(std::move(choice));
    }
  }
  if (Status submitted = SubmitAll(host.engine()); !submitted.ok()) {
    choices_.clear();  // their handles cancel what was submitted
    completed_ = true;
    RespondError(SubmitError(submitted));
    return;
  }
  registry_id_ = node_.Register(shared_from_this());
  StartAnswer();
  std::weak_ptr<CompletionCall> weak = weak_from_this();
  cancel_subscription_ = exchange_->cancellation().Subscribe([weak](net::CancelReason) {
    if (std::shared_ptr<CompletionCall> self = weak.lock()) self->CancelAll();
  });
  // Events delivered before the handles were stored notified nobody: look now.
  ScheduleDrain();
}

engine::EngineRequest CompletionCall::MakeEngineRequest(const Choice& choice) {
  engine::EngineRequest r;
  r.request_id = choices_.size() > 1 ? fmt::format("{}/{}", context_.request_id, choice.index)
                                     : context_.request_id;
  r.tenant = context_.tenant;
  r.tenant_salt = context_.tenant.empty() ? 0 : engine::TenantSalt(context_.tenant);
  r.prompt = prompts_[choice.prompt_index].tokens;
  r.sampling = request_.sampling;
  // Choices of one prompt differ; choice 0 matches a single-choice request with the same seed.
  const int32_t j = choice.index % request_.n;
  if (r.sampling.seed.has_value()) r.sampling.seed = *r.sampling.seed + static_cast<uint64_t>(j);
  r.ignore_eos = request_.ignore_eos;
  r.priority = context_.priority;
  r.tpot_slo_us = context_.tpot_slo_us;
  std::weak_ptr<CompletionCall> weak = weak_from_this();
  r.on_events = [weak] {
    if (std::shared_ptr<CompletionCall> self = weak.lock()) self->ScheduleDrain();
  };
  return r;
}

Status CompletionCall::SubmitAll(engine::Engine& engine) {
  for (Choice& choice : choices_) {
    TF_ASSIGN_OR_RETURN(choice.handle, engine.Submit(MakeEngineRequest(choice)));
  }
  return absl::OkStatus();
}

void CompletionCall::StartAnswer() {
  const bool echo = request_.echo && request_.endpoint == api::Endpoint::kCompletions;
  for (Choice& choice : choices_) {
    if (echo) {
      const std::string& echo_text = prompts_[choice.prompt_index].echo_text;
      choice.token_offset = static_cast<int64_t>(echo_text.size());
      if (!request_.stream) choice.text = echo_text;
    }
  }
  if (!request_.stream) return;
  net::HttpHeaders headers{{"x-request-id", context_.request_id}};
  if (!exchange_->StartSse(std::move(headers)).ok()) {
    aborted_ = true;
    CancelAll();
    return;
  }
  const bool chat = request_.endpoint == api::Endpoint::kChatCompletions;
  for (const Choice& choice : choices_) {
    if (chat) WriteChunk(choice, "", /*first=*/true, "", nullptr);
    if (echo) WriteChunk(choice, prompts_[choice.prompt_index].echo_text, false, "", nullptr);
  }
}

void CompletionCall::ScheduleDrain() {
  node_.stream_pool->Schedule([self = shared_from_this()] { self->Drain(); });
}

void CompletionCall::Drain() {
  absl::MutexLock lock(&mu_);
  if (completed_) return;
  bool all_finished = true;
  for (Choice& choice : choices_) {
    if (!choice.finished) DrainChoice(choice, events_);
    all_finished = all_finished && choice.finished;
  }
  if (all_finished) Complete();
}

void CompletionCall::DrainChoice(Choice& choice, std::vector<engine::EngineEvent>& events) {
  events.clear();
  if (!choice.handle.valid() || choice.handle.Poll(&events) == 0) return;
  std::string text;
  for (const engine::EngineEvent& event : events) {
    text += event.text;
    if (event.kind == engine::EngineEvent::Kind::kToken) {
      const std::string_view piece = tokenizer_->TokenToPiece(event.token);
      if (event.has_logprobs) {
        api::LogprobEntry entry;
        entry.token = std::string(piece);
        entry.logprob = event.logprob;
        entry.text_offset = choice.token_offset;
        for (const engine::TokenLogprob& top : event.top_logprobs) {
          entry.top.push_back({std::string(tokenizer_->TokenToPiece(top.token)), top.logprob});
        }
        choice.logprobs.push_back(std::move(entry));
      }
      choice.token_offset += static_cast<int64_t>(piece.size());
    }
    if (event.finished()) {
      choice.finished = true;
      choice.finish_reason = event.finish_reason;
      choice.status = event.status;
      choice.usage = event.usage;
    }
  }
  if (!request_.stream) {
    choice.text += text;
    return;
  }
  if (aborted_) return;
  const bool clean_end = choice.finished && CleanEnd(choice.finish_reason);
  if (text.empty() && choice.logprobs.empty() && !clean_end) return;
  const bool logprobs = request_.sampling.logprobs && !choice.logprobs.empty();
  WriteChunk(choice, text, false,
             clean_end ? engine::FinishReasonName(choice.finish_reason) : std::string_view(),
             logprobs ? &choice.logprobs : nullptr);
  choice.logprobs.clear();
}

void CompletionCall::WriteChunk(const Choice& choice, std::string_view text, bool first,
                                std::string_view finish_reason,
                                const std::vector<api::LogprobEntry>* logprobs) {
  api::ChoiceDelta delta;
  delta.index = choice.index;
  delta.text = text;
  delta.first = first;
  delta.finish_reason = finish_reason;
  delta.logprobs = logprobs;
  WriteData(formatter_.Chunk(delta));
}

void CompletionCall::WriteData(std::string_view data) {
  if (aborted_) return;
  // Fails when the client is gone or has stopped reading (its buffer is full): give up.
  if (!exchange_->WriteSseData(data).ok()) {
    aborted_ = true;
    CancelAll();
  }
}

void CompletionCall::CancelAll() {
  for (Choice& choice : choices_) {
    if (choice.handle.valid()) choice.handle.Cancel();
  }
}

std::optional<api::ApiError> CompletionCall::EndError() const {
  for (const Choice& choice : choices_) {
    if (CleanEnd(choice.finish_reason)) continue;
    if (!choice.status.ok()) {
      api::ApiError error = api::ApiErrorFromStatus(choice.status);
      if (error.http_status == 503) error.retry_after_s = node_.options.loading_retry_after_s;
      return error;
    }
    api::ApiError error;
    error.http_status = 500;
    error.type = "server_error";
    error.message = "the request was cancelled before it finished";
    return error;
  }
  return std::nullopt;
}

api::Usage CompletionCall::TotalUsage() const {
  api::Usage usage;
  for (const Choice& choice : choices_) {
    if (choice.index % request_.n == 0) {  // a prompt counts once, as OpenAI counts it
      usage.prompt_tokens += static_cast<int64_t>(prompts_[choice.prompt_index].tokens.size());
      usage.cached_tokens += choice.usage.cached_prompt_tokens;
    }
    usage.completion_tokens += choice.usage.completion_tokens;
  }
  return usage;
}

void CompletionCall::RespondError(const api::ApiError& error) {
  net::HttpResponse response = api::ApiErrorResponse(error);
  response.headers.Set("x-request-id", context_.request_id);
  node_.Answer(*exchange_, handler_, std::move(response));
}

void CompletionCall::Complete() {
  completed_ = true;
  exchange_->cancellation().Unsubscribe(cancel_subscription_);
  const std::optional<api::ApiError> error = EndError();
  const api::Usage usage = TotalUsage();
  const bool client_gone = exchange_->cancelled();
  if (request_.stream) {
    if (!aborted_) {
      if (error.has_value()) {
        WriteData(api::ApiErrorJson(*error));
      } else if (request_.include_usage) {
        WriteData(formatter_.UsageChunk(usage));
      }
      WriteData("[DONE]");
      if (!aborted_) (void)exchange_->Finish();
    }
    node_.metrics.CountResponse(handler_, client_gone ? 499 : 200);
  } else if (client_gone) {
    node_.metrics.CountResponse(handler_, 499);
  } else if (error.has_value()) {
    RespondError(*error);
  } else {
    std::vector<api::ChoiceResult> results;
    results.reserve(choices_.size());
    for (Choice& choice : choices_) {
      api::ChoiceResult result;
      result.index = choice.index;
      result.text = std::move(choice.text);
      result.finish_reason = std::string(engine::FinishReasonName(choice.finish_reason));
      if (request_.sampling.logprobs) result.logprobs = std::move(choice.logprobs);
      results.push_back(std::move(result));
    }
    net::HttpResponse response = net::HttpResponse::Json(
        200, api::CompletionResponseJson(formatter_.meta(), results, usage));
    response.headers.Set("x-request-id", context_.request_id);
    node_.Answer(*exchange_, handler_, std::move(response));
  }
  node_.metrics.ObserveRequest(usage.prompt_tokens, usage.completion_tokens, request_.n);
  TF_LOG_DEBUG("request {}: {} choices, {} prompt tokens ({} cached), {} generated{}",
               context_.request_id, choices_.size(), usage.prompt_tokens, usage.cached_tokens,
               usage.completion_tokens, client_gone ? ", client gone" : "");
  node_.Unregister(registry_id_);
}

}  // namespace tokenfab::node
