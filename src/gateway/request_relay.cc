// RequestRelay, the calls: one attempt at a time, the answer relayed as it comes, retries.
#include "request_relay.h"

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/base/random.h"

namespace tokenfab::gateway {

void RequestRelay::Serve(std::shared_ptr<GatewayContext> context,
                         std::shared_ptr<net::HttpExchange> exchange, api::Endpoint endpoint) {
  auto relay = std::make_shared<RequestRelay>(context, std::move(exchange), endpoint);
  context->control.Schedule([relay] { relay->Intake(); });
}

RequestRelay::RequestRelay(std::shared_ptr<GatewayContext> context,
                           std::shared_ptr<net::HttpExchange> exchange, api::Endpoint endpoint)
    : context_(std::move(context)), exchange_(std::move(exchange)), endpoint_(endpoint) {
  arrival_micros_ = exchange_->arrival_micros();
  const int64_t now = context_->clock.NowMicros();
  arrival_wall_micros_ = context_->clock.WallMicros() - std::max<int64_t>(0, now - arrival_micros_);
  context_->counters.requests.fetch_add(1, std::memory_order_relaxed);
  context_->counters.open.fetch_add(1, std::memory_order_relaxed);
}

RequestRelay::~RequestRelay() {
  context_->counters.open.fetch_sub(1, std::memory_order_relaxed);
}

void RequestRelay::Enter(Phase next) {
  bool allowed = false;
  switch (phase_) {
    case Phase::kIntake:
      allowed = next == Phase::kCalling || next == Phase::kDone;
      break;
    case Phase::kCalling:
      allowed = next == Phase::kBackoff || next == Phase::kRecording;
      break;
    case Phase::kBackoff:
      allowed = next == Phase::kCalling || next == Phase::kRecording;
      break;
    case Phase::kRecording:
      allowed = next == Phase::kDone;
      break;
    case Phase::kDone:
      allowed = false;
      break;
  }
  TF_CHECK(allowed) << "request relay cannot go from phase " << static_cast<int>(phase_)
                    << " to " << static_cast<int>(next);
  phase_ = next;
}

void RequestRelay::RunOnCall(const std::function<void(net::ClientCall&)>& fn) {
  std::shared_ptr<net::ClientCall> call;
  {
    absl::MutexLock lock(&call_mu_);
    call = call_;
  }
  if (call) fn(*call);
}

void RequestRelay::StartAttempt() {
  GatewayContext& ctx = *context_;
  // The next candidate whose circuit lets a request through.
  std::shared_ptr<UpstreamRuntime> runtime;
  while (next_rank_ < decision_.ranked.size()) {
    const uint32_t index = decision_.ranked[next_rank_++].index;
    const std::shared_ptr<UpstreamRuntime>& candidate = generation_->upstreams[index];
    if (!candidate->url()) continue;
    if (!candidate->breaker().TryAcquire()) continue;
    runtime = candidate;
    upstream_index_ = index;
    break;
  }
  if (!runtime) {
    if (attempts_ == 0) last_failure_ = "every upstream's circuit is open";
    return Conclude(last_outcome_);
  }
  ++attempts_;
  if (attempts_ > 1) ctx.counters.retries.fetch_add(1, std::memory_order_relaxed);
  runtime_ = runtime;
  state_at_dispatch_ = snapshot_->state(upstream_index_);
  mode_ = Mode::kNone;
  upstream_status_ = 0;
  parser_.emplace();
  meter_.emplace(endpoint_, request_.client_wants_usage);
  body_.clear();
  paused_ = false;
  generation_->policy->OnRouted(routing_, *snapshot_, upstream_index_);
  runtime->AddInFlight(1);
  dispatch_micros_ = ctx.clock.NowMicros();
  if (attempts_ == 1) {
    ctx.metrics.dispatch_seconds.Observe(static_cast<double>(dispatch_micros_ - arrival_micros_) /
                                         1e6);
  }

  const fleet::UpstreamKind kind = runtime->kind();
  net::ClientRequest call;
  call.method = "POST";
  call.url = runtime->url()->WithPath(api::EndpointPath(endpoint_));
  call.headers.Add("Content-Type", "application/json");
  call.headers.Add("Accept", request_.stream ? "text/event-stream" : "application/json");
  call.headers.Add("x-request-id", request_id_);
  if (kind == fleet::UpstreamKind::kTokenfabNode || kind == fleet::UpstreamKind::kTokenfabGateway) {
    call.headers.Add("x-tokenfab-tenant", principal_->tenant.name);
    call.headers.Add("x-tokenfab-priority", std::to_string(ticket_->priority()));
  }
  if (kind == fleet::UpstreamKind::kTokenfabGateway) {
    // A hub gateway authenticates the same key (edge and hub share the tenants' keys).
    if (auto auth = exchange_->request().headers.Get("Authorization")) {
      call.headers.Add("Authorization", std::string(*auth));
    }
  }
  call.body = UpstreamBody(request_, kind);
  call.cancellation = exchange_->cancellation();
  call.loop = exchange_->loop();
  auto self = shared_from_this();
  net::StreamCallbacks callbacks;
  callbacks.on_head = [self](int status, const net::HttpHeaders& headers) {
    self->OnHead(status, headers);
  };
  callbacks.on_data = [self](std::string_view data) { self->OnData(data); };
  callbacks.on_done = [self](Status status) { self->OnDone(std::move(status)); };
  std::shared_ptr<net::ClientCall> handle = ctx.client.Stream(std::move(call), std::move(callbacks));
  absl::MutexLock lock(&call_mu_);
  call_ = std::move(handle);
}

void RequestRelay::OnHead(int status, const net::HttpHeaders& headers) {
  upstream_status_ = status;
  const std::string_view type = headers.Get("Content-Type").value_or("");
  const bool event_stream = type.find("text/event-stream") != std::string_view::npos;
  mode_ = (status >= 200 && status < 300 && request_.stream && event_stream) ? Mode::kStream
                                                                               : Mode::kWhole;
}

void RequestRelay::OnData(std::string_view data) {
  if (mode_ == Mode::kWhole) {
    if (body_.size() + data.size() > context_->options.max_body_bytes) {
      body_too_large_ = true;
      RunOnCall([](net::ClientCall& call) { call.Cancel(); });
      return;
    }
    body_.append(data);
    return;
  }
  Status parsed = parser_->Feed(data, [this](net::SseEvent&& event) { OnEvent(std::move(event)); });
  if (!parsed.ok()) {
    last_failure_ = std::string(parsed.message());
    RunOnCall([](net::ClientCall& call) { call.Cancel(); });
  }
}

bool RequestRelay::EnsureStreamStarted() {
  if (client_saw_bytes_) return true;
  client_saw_bytes_ = true;
  return exchange_->StartSse(ServedHeaders()).ok();
}

void RequestRelay::OnEvent(net::SseEvent&& event) {
  if (client_too_slow_) return;
  const int64_t now = context_->clock.NowMicros();
  const bool first_content = meter_->first_content_micros() == 0;
  switch (meter_->OnEvent(event.data, now)) {
    case ResponseMeter::Action::kDone:
    case ResponseMeter::Action::kDrop:
      return;
    case ResponseMeter::Action::kStripUsage:
      event.data = ResponseMeter::WithoutUsage(event.data);
      break;
    case ResponseMeter::Action::kForward:
      break;
  }
  if (first_content && meter_->first_content_micros() != 0) {
    context_->metrics.ttft_seconds.Observe(static_cast<double>(now - arrival_micros_) / 1e6);
  }
  if (!EnsureStreamStarted()) return;  // the client is gone; the call is being cancelled
  Status written = event.event.empty() && !event.retry_ms
                       ? exchange_->WriteSseData(event.data)
                       : exchange_->WriteSse(net::SseEvent{event.event, event.data, "", {}});
  if (absl::IsResourceExhausted(written)) {
    // The client reads slower than the upstream writes, past the server's buffer limit.
    client_too_slow_ = true;
    RunOnCall([](net::ClientCall& call) { call.Cancel(); });
    return;
  }
  if (written.ok()) ApplyBackpressure();
}

void RequestRelay::ApplyBackpressure() {
  if (paused_ || exchange_->buffered_bytes() <= context_->options.stream_high_water_bytes) return;
  paused_ = true;
  RunOnCall([](net::ClientCall& call) { call.Pause(); });
  std::weak_ptr<RequestRelay> weak = weak_from_this();
  exchange_->OnDrained([weak] {
    if (auto self = weak.lock()) {
      self->paused_ = false;
      self->RunOnCall([](net::ClientCall& call) { call.Resume(); });
    }
  });
}

AttemptOutcome RequestRelay::Classify(const Status& status) const {
  if (status.ok()) {
    if (mode_ == Mode::kWhole) {
      if (upstream_status_ >= 500) return AttemptOutcome::kServerError;
      if (upstream_status_ >= 400) return AttemptOutcome::kClientError;
      if (upstream_status_ >= 200 && upstream_status_ < 300) return AttemptOutcome::kSuccess;
      return AttemptOutcome::kBroken;
    }
    // A stream that ended cleanly: complete when the upstream said so ([DONE], a finish reason
    // or usage); cut off otherwise.
    if (meter_->saw_done() || meter_->finish_reason() || meter_->usage()) {
      return meter_->error() && !meter_->finish_reason() ? AttemptOutcome::kBroken
                                                         : AttemptOutcome::kSuccess;
    }
    return AttemptOutcome::kBroken;
  }
  if (exchange_->cancelled() || client_too_slow_) return AttemptOutcome::kCancelled;
  if (body_too_large_) return AttemptOutcome::kBroken;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      return upstream_status_ == 0 ? AttemptOutcome::kConnectFailed : AttemptOutcome::kBroken;
    case absl::StatusCode::kDeadlineExceeded:
      return AttemptOutcome::kTimedOut;
    case absl::StatusCode::kCancelled:
      return AttemptOutcome::kCancelled;
    default:
      return AttemptOutcome::kBroken;
  }
}

void RequestRelay::OnDone(Status status) {
  GatewayContext& ctx = *context_;
  {
    absl::MutexLock lock(&call_mu_);
    call_.reset();
  }
  runtime_->AddInFlight(-1);
  if (status.ok() && mode_ == Mode::kWhole && upstream_status_ >= 200 && upstream_status_ < 300) {
    meter_->OnBody(body_, ctx.clock.NowMicros());
  }
  const AttemptOutcome outcome = Classify(status);
  last_outcome_ = outcome;
  if (IsUpstreamFailure(outcome)) {
    runtime_->breaker().RecordFailure();
    if (last_failure_.empty() || status.ok()) {
      last_failure_ = status.ok() ? fmt::format("{} answered {}", runtime_->name(), upstream_status_)
                                  : fmt::format("{}: {}", runtime_->name(), status.message());
    } else {
      last_failure_ = fmt::format("{}: {}", runtime_->name(), last_failure_);
    }
  } else if (outcome == AttemptOutcome::kCancelled) {
    runtime_->breaker().RecordNeutral();
  } else {
    runtime_->breaker().RecordSuccess();
  }
  const int64_t elapsed = ctx.clock.NowMicros() - arrival_micros_;
  if (ctx.retry.ShouldRetry(outcome, client_saw_bytes_, attempts_, elapsed) &&
      next_rank_ < decision_.ranked.size()) {
    TF_LOG_DEBUG("request {}: {} at {} ({}); trying the next upstream", request_id_,
                 AttemptOutcomeName(outcome), runtime_->name(), last_failure_);
    Enter(Phase::kBackoff);
    base::Random random(ctx.options.seed * 0x9e3779b97f4a7c15ULL +
                        ctx.seed_counter.fetch_add(1, std::memory_order_relaxed));
    const int64_t backoff = ctx.retry.BackoffMicros(attempts_, random);
    auto self = shared_from_this();
    ctx.timers.RunAfter(std::chrono::microseconds(backoff), [self] {
      self->Enter(Phase::kCalling);
      self->StartAttempt();
    });
    return;
  }
  Conclude(outcome);
}

}  // namespace tokenfab::gateway
