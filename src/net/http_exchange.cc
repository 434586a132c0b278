#include "tokenfab/net/http_exchange.h"

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "exchange_state.h"
#include "tokenfab/base/check.h"

namespace tokenfab::net {
namespace internal {

void ExchangeState::Transition(AnswerStage to) {
  bool allowed = false;
  switch (stage) {
    case AnswerStage::kNone:
      allowed = to == AnswerStage::kWhole || to == AnswerStage::kStreaming ||
                to == AnswerStage::kAbandoned;
      break;
    case AnswerStage::kStreaming:
      allowed = to == AnswerStage::kFinished || to == AnswerStage::kAbandoned;
      break;
    case AnswerStage::kWhole:
    case AnswerStage::kFinished:
    case AnswerStage::kAbandoned:
      allowed = false;
      break;
  }
  TF_CHECK(allowed) << "exchange stage cannot go from " << static_cast<int>(stage) << " to "
                    << static_cast<int>(to);
  stage = to;
}

void ExchangeState::WakeLocked() {
  if (connection_waiting && waker) {
    connection_waiting = false;
    waker();
  }
}

std::vector<std::function<void()>> ExchangeState::DetachLocked() {
  attached = false;
  connection_waiting = false;
  waker = nullptr;
  std::vector<std::function<void()>> callbacks;
  callbacks.swap(drain_callbacks);
  return callbacks;
}

}  // namespace internal

using internal::AnswerStage;

HttpExchange::HttpExchange(std::shared_ptr<internal::ExchangeState> state)
    : state_(std::move(state)) {}

HttpExchange::~HttpExchange() {
  absl::MutexLock lock(&state_->mu);
  if (state_->stage == AnswerStage::kNone || state_->stage == AnswerStage::kStreaming) {
    state_->Transition(AnswerStage::kAbandoned);
    state_->WakeLocked();
  }
}

const HttpRequest& HttpExchange::request() const { return state_->request; }
CancellationToken HttpExchange::cancellation() const { return state_->cancel.token(); }
bool HttpExchange::cancelled() const { return state_->cancel.cancelled(); }
int HttpExchange::loop() const { return state_->loop; }
int64_t HttpExchange::arrival_micros() const { return state_->arrival_micros; }

Status HttpExchange::Respond(HttpResponse response) {
  absl::MutexLock lock(&state_->mu);
  if (state_->stage != AnswerStage::kNone) {
    return absl::FailedPreconditionError("the request was already answered");
  }
  if (state_->cancel.cancelled() || !state_->attached) {
    return absl::CancelledError(
        fmt::format("request cancelled: {}", CancelReasonName(state_->cancel.token().reason())));
  }
  state_->response = std::move(response);
  state_->Transition(AnswerStage::kWhole);
  state_->WakeLocked();
  return absl::OkStatus();
}

Status HttpExchange::StartStream(int status, HttpHeaders headers) {
  absl::MutexLock lock(&state_->mu);
  if (state_->stage != AnswerStage::kNone) {
    return absl::FailedPreconditionError("the request was already answered");
  }
  if (state_->cancel.cancelled() || !state_->attached) {
    return absl::CancelledError(
        fmt::format("request cancelled: {}", CancelReasonName(state_->cancel.token().reason())));
  }
  state_->stream_status = status;
  state_->stream_headers = std::move(headers);
  state_->Transition(AnswerStage::kStreaming);
  state_->WakeLocked();
  return absl::OkStatus();
}

Status HttpExchange::StartSse(HttpHeaders extra) {
  HttpHeaders headers = std::move(extra);
  if (!headers.Has("Content-Type")) headers.Add("Content-Type", "text/event-stream");
  if (!headers.Has("Cache-Control")) headers.Add("Cache-Control", "no-cache");
  if (!headers.Has("X-Accel-Buffering")) headers.Add("X-Accel-Buffering", "no");
  return StartStream(200, std::move(headers));
}

Status HttpExchange::Write(std::string_view data) {
  absl::MutexLock lock(&state_->mu);
  if (state_->stage != AnswerStage::kStreaming) {
    return absl::FailedPreconditionError("Write() needs a started, unfinished stream");
  }
  if (state_->cancel.cancelled() || !state_->attached) {
    return absl::CancelledError(
        fmt::format("request cancelled: {}", CancelReasonName(state_->cancel.token().reason())));
  }
  if (data.empty()) return absl::OkStatus();
  const size_t buffered = state_->pending.size() + state_->in_flight;
  if (buffered + data.size() > state_->max_buffered_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("stream buffer full ({} bytes queued): the client is not reading", buffered));
  }
  state_->pending.append(data);
  state_->WakeLocked();
  return absl::OkStatus();
}

Status HttpExchange::WriteSse(const SseEvent& event) { return Write(FormatSseEvent(event)); }

Status HttpExchange::WriteSseData(std::string_view data) { return Write(FormatSseData(data)); }

Status HttpExchange::Finish() {
  absl::MutexLock lock(&state_->mu);
  if (state_->stage != AnswerStage::kStreaming) {
    return absl::FailedPreconditionError("Finish() needs a started, unfinished stream");
  }
  state_->Transition(AnswerStage::kFinished);
  state_->WakeLocked();
  return absl::OkStatus();
}

size_t HttpExchange::buffered_bytes() const {
  absl::MutexLock lock(&state_->mu);
  return state_->pending.size() + state_->in_flight;
}

void HttpExchange::OnDrained(std::function<void()> callback) {
  {
    absl::MutexLock lock(&state_->mu);
    const bool drained = state_->pending.size() + state_->in_flight <= state_->low_water_bytes;
    if (state_->attached && !drained) {
      state_->drain_callbacks.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

}  // namespace tokenfab::net
