#include "request_relay.h"

#include <algorithm>

#include <fmt/format.h>

#include "absl/synchronization/mutex.h"
#include "service_tier_echo.h"
#include "spare_capacity.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/base/random.h"

namespace tokenfab::gateway {
namespace {

constexpr int64_t kMaxNodeTpotSloMs = 3'600'000;  // the longest TPOT objective a node accepts

// What the client is told when no upstream could answer.
net::HttpResponse FailureAnswer(AttemptOutcome outcome, const std::string& why) {
  switch (outcome) {
    case AttemptOutcome::kTimedOut:
      return api::ApiErrorResponse(
          api::MakeApiError(504, fmt::format("The upstream did not answer in time ({}).", why),
                            "server_error", "upstream_timeout"));
    default:
      return api::ApiErrorResponse(
          api::MakeApiError(502, fmt::format("No upstream could serve the request ({}).", why),
                            "server_error", "upstream_unavailable", 1));
  }
}

}  // namespace

void RequestRelay::Serve(std::shared_ptr<GatewayContext> context,
                         std::shared_ptr<net::HttpExchange> exchange, api::Endpoint endpoint) {
  auto relay = std::make_shared<RequestRelay>(context, std::move(exchange), endpoint);
  context->control.Schedule([relay] { relay->Intake(); });
}

RequestRelay::RequestRelay(std::shared_ptr<GatewayContext> context,
                           std::shared_ptr<net::HttpExchange> exchange, api::Endpoint endpoint)
    : context_(std::move(context)), exchange_(std::move(exchange)), endpoint_(endpoint) {
  arrival_.micros = exchange_->arrival_micros();
  const int64_t now = context_->clock.NowMicros();
  arrival_.wall_micros = context_->clock.WallMicros() - std::max<int64_t>(0, now - arrival_.micros);
  context_->counters.requests.fetch_add(1, std::memory_order_relaxed);
  context_->counters.open.fetch_add(1, std::memory_order_relaxed);
}

RequestRelay::~RequestRelay() { context_->counters.open.fetch_sub(1, std::memory_order_relaxed); }

void RequestRelay::Enter(RelayPhase next) {
  TF_CHECK(IsValidTransition(phase_, next))
      << "request relay cannot go from " << RelayPhaseName(phase_) << " to "
      << RelayPhaseName(next);
  phase_ = next;
}

void RequestRelay::Intake() {
  std::optional<net::HttpResponse> refusal =
      RequestIntake(*context_, *exchange_, endpoint_, admitted_).Run();
  if (refusal) return Reject(*std::move(refusal));
  if (admitted_.tier.served == ledger::ServiceTier::kFlex && !admitted_.batch_line) {
    return WaitForFlexRoom();
  }
  if (MayWaitForSlo() && !SomeoneMeetsTtft(context_->clock.NowMicros())) return WaitForSlo();
  Enter(RelayPhase::kCalling);
  StartAttempt();
}

void RequestRelay::Reject(net::HttpResponse response) {
  const std::string_view outcome = response.status >= 500 ? "error" : "rejected";
  response.headers.Set("x-tokenfab-upstream", context_->name);
  response.headers.Set("x-tokenfab-region", "-");
  response.headers.Set("x-request-id", admitted_.request_id);
  context_->ops.OnRefusal(context_->clock.WallMicros(), response.status, response.body,
                          admitted_.principal.tenant.name, admitted_.request.model);
  (void)exchange_->Respond(std::move(response));
  context_->metrics.Outcome(outcome).Increment();
  Enter(RelayPhase::kDone);
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
  if (!(attempts_ > 0 && PickOnNewerFleet()) && !PickUpstream()) {
    if (attempts_ == 0) last_failure_ = "every upstream's circuit is open";
    return Conclude(last_outcome_);
  }
  BeginAttempt();
  Dispatch(UpstreamCall());
}

bool RequestRelay::PickUpstream() {
  const std::vector<routing::RankedUpstream>& ranked = admitted_.decision.ranked;
  while (next_rank_ < ranked.size()) {
    const uint32_t index = ranked[next_rank_++].index;
    const std::shared_ptr<UpstreamRuntime>& candidate = admitted_.generation->upstreams[index];
    if (!candidate->url()) continue;
    if (!candidate->breaker().TryAcquire()) continue;
    runtime_ = candidate;
    upstream_index_ = index;
    return true;
  }
  return false;
}

bool RequestRelay::PickOnNewerFleet() {
  std::optional<RetryRoute> route =
      RouteRetryOnNewerFleet(context_->fleet, *admitted_.generation, admitted_.routing, tried_);
  if (!route) return false;
  admitted_.generation = std::move(route->generation);
  admitted_.snapshot = std::move(route->snapshot);
  admitted_.decision = std::move(route->decision);
  next_rank_ = route->picked + 1;
  upstream_index_ = admitted_.decision.ranked[route->picked].index;
  runtime_ = admitted_.generation->upstreams[upstream_index_];
  return true;
}

void RequestRelay::BeginAttempt() {
  GatewayContext& ctx = *context_;
  ++attempts_;
  tried_.push_back(runtime_->identity());
  if (attempts_ > 1) ctx.counters.retries.fetch_add(1, std::memory_order_relaxed);
  state_at_dispatch_ = admitted_.snapshot->state(upstream_index_);
  mode_ = Mode::kNone;
  upstream_status_ = 0;
  parser_.emplace();
  meter_.emplace(endpoint_, admitted_.request.client_wants_usage);
  body_.clear();
  paused_ = false;
  admitted_.generation->policy->OnRouted(admitted_.routing, *admitted_.snapshot, upstream_index_);
  runtime_->AddInFlight(1);
  predicted_ = routing::PredictLatency(admitted_.routing, *admitted_.snapshot, upstream_index_);
  runtime_->AddSentTokens(std::max(0, admitted_.routing.prompt_tokens - predicted_.cached_tokens));
  dispatch_micros_ = ctx.clock.NowMicros();
  if (attempts_ == 1) {
    ctx.metrics.dispatch_seconds.Observe(static_cast<double>(dispatch_micros_ - arrival_.micros) /
                                         1e6);
  }
}

net::ClientRequest RequestRelay::UpstreamCall() const {
  const fleet::UpstreamKind kind = runtime_->kind();
  net::ClientRequest call;
  call.method = "POST";
  call.url = runtime_->url()->WithPath(api::EndpointPath(endpoint_));
  call.headers.Add("Content-Type", "application/json");
  call.headers.Add("Accept", admitted_.request.stream ? "text/event-stream" : "application/json");
  call.headers.Add("x-request-id", admitted_.request_id);
  if (kind == fleet::UpstreamKind::kTokenfabNode || kind == fleet::UpstreamKind::kTokenfabGateway) {
    call.headers.Add("x-tokenfab-tenant", admitted_.principal.tenant.name);
    call.headers.Add("x-tokenfab-priority", std::to_string(admitted_.tier.priority));
    // The tier's TPOT objective, which the node keeps its running decodes within; a node takes
    // (0, 1 h], and a longer objective binds no more than an hour does.
    const int64_t tpot_slo_ms = admitted_.principal.tier.tpot_slo_ms;
    if (tpot_slo_ms > 0) {
      call.headers.Add("x-tokenfab-tpot-slo-ms",
                       std::to_string(std::min<int64_t>(tpot_slo_ms, kMaxNodeTpotSloMs)));
    }
  }
  if (!runtime_->api_key().empty()) {
    // The upstream's own key from the fleet file (api_key_env / api_key_file).
    call.headers.Add("Authorization", "Bearer " + runtime_->api_key());
  } else if (kind == fleet::UpstreamKind::kTokenfabGateway) {
    // A hub gateway authenticates the same key (edge and hub share the tenants' keys).
    if (auto auth = exchange_->request().headers.Get("Authorization")) {
      call.headers.Add("Authorization", std::string(*auth));
    }
  }
  const std::string& peer_secret = context_->options.peers.secret;
  if (kind == fleet::UpstreamKind::kTokenfabGateway && !peer_secret.empty()) {
    call.headers.Add(std::string(kPeerSecretHeader), peer_secret);  // the hub keeps our id
  }
  call.body = UpstreamBody(admitted_.request, kind);
  call.cancellation = exchange_->cancellation();
  call.loop = exchange_->loop();
  return call;
}

void RequestRelay::Dispatch(net::ClientRequest call) {
  auto self = shared_from_this();
  net::StreamCallbacks callbacks;
  callbacks.on_head = [self](int status, const net::HttpHeaders& headers) {
    self->OnHead(status, headers);
  };
  callbacks.on_data = [self](std::string_view data) { self->OnData(data); };
  callbacks.on_done = [self](Status status) { self->OnDone(std::move(status)); };
  std::shared_ptr<net::ClientCall> handle =
      context_->client.Stream(std::move(call), std::move(callbacks));
  absl::MutexLock lock(&call_mu_);
  call_ = std::move(handle);
}

void RequestRelay::OnHead(int status, const net::HttpHeaders& headers) {
  upstream_status_ = status;
  const std::string_view type = headers.Get("Content-Type").value_or("");
  const bool event_stream = type.find("text/event-stream") != std::string_view::npos;
  mode_ = (status >= 200 && status < 300 && admitted_.request.stream && event_stream)
              ? Mode::kStream
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
  const int64_t delivered_events = meter_->content_events();
  const size_t delivered_text_bytes = meter_->text().size();
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
  event.data = WithServiceTier(event.data, ledger::ServiceTierName(admitted_.tier.served));
  if (first_content && meter_->first_content_micros() != 0) {
    context_->metrics.ttft_seconds.Observe(static_cast<double>(now - arrival_.micros) / 1e6);
  }
  if (!EnsureStreamStarted()) return;  // the client is gone; the call is being cancelled
  MaybeRecordProgress(now, delivered_events, delivered_text_bytes);
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

void RequestRelay::MaybeRecordProgress(int64_t now, int64_t events, size_t text_bytes) {
  GatewayContext& ctx = *context_;
  if (ctx.spool == nullptr || mode_ != Mode::kStream || !runtime_) return;
  // The first record, as the stream opens (nothing delivered yet), bills its prompt only.
  if (progress_recorded_) {
    if (events == progress_events_) return;
    const int64_t interval_micros =
        std::chrono::duration_cast<std::chrono::microseconds>(ctx.options.stream_progress_interval)
            .count();
    if (events - progress_events_ < ctx.options.stream_progress_events &&
        now - progress_micros_ < interval_micros) {
      return;
    }
  }
  // Bytes still in the exchange's buffer may never reach the client: never bill them.
  if (events > 0 && exchange_->buffered_bytes() > 0) return;
  progress_recorded_ = true;
  const DeliveredContent delivered{events, std::string_view(meter_->text()).substr(0, text_bytes)};
  progress_events_ = events;
  progress_micros_ = now;
  ServedAttempt attempt;
  attempt.runtime = runtime_.get();
  attempt.upstream_index = upstream_index_;
  attempt.meter = &*meter_;
  const ProgressPrompt prompt{.counted = std::max<int64_t>(0, admitted_.counted_prompt_tokens),
                              .predicted_cached = predicted_.cached_tokens};
  ctx.spool->AppendProgress(
      BuildProgressEvent(ctx, admitted_, arrival_, attempt, prompt, delivered), nullptr);
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
      last_failure_ = status.ok()
                          ? fmt::format("{} answered {}", runtime_->name(), upstream_status_)
                          : fmt::format("{}: {}", runtime_->name(), status.message());
    } else {
      last_failure_ = fmt::format("{}: {}", runtime_->name(), last_failure_);
    }
  } else if (outcome == AttemptOutcome::kCancelled) {
    runtime_->breaker().RecordNeutral();
  } else {
    runtime_->breaker().RecordSuccess();
  }
  const int64_t elapsed = ctx.clock.NowMicros() - arrival_.micros;
  // A newer fleet may hold an upstream the request's own ranking lacks (PickOnNewerFleet).
  if (ctx.retry.ShouldRetry(outcome, client_saw_bytes_, attempts_, elapsed) &&
      (next_rank_ < admitted_.decision.ranked.size() ||
       ctx.fleet.generation() != admitted_.generation)) {
    TF_LOG_DEBUG("request {}: {} at {} ({}); trying the next upstream", admitted_.request_id,
                 AttemptOutcomeName(outcome), runtime_->name(), last_failure_);
    return BackOff();
  }
  Conclude(outcome);
}

void RequestRelay::BackOff() {
  GatewayContext& ctx = *context_;
  Enter(RelayPhase::kBackoff);
  base::Random random(ctx.options.seed * 0x9e3779b97f4a7c15ULL +
                      ctx.seed_counter.fetch_add(1, std::memory_order_relaxed));
  const int64_t backoff = ctx.retry.BackoffMicros(attempts_, random);
  auto self = shared_from_this();
  ctx.timers.RunAfter(std::chrono::microseconds(backoff), [self] {
    self->Enter(RelayPhase::kCalling);
    self->StartAttempt();
  });
}

net::HttpHeaders RequestRelay::ServedHeaders() const {
  net::HttpHeaders headers;
  AddServedHeaders(headers);
  return headers;
}

void RequestRelay::AddServedHeaders(net::HttpHeaders& headers) const {
  if (runtime_) {
    const fleet::FleetConfig& config = *admitted_.generation->config;
    const fleet::Site& site = config.SiteOf(config.upstreams()[upstream_index_]);
    headers.Set("x-tokenfab-upstream", runtime_->name());
    headers.Set("x-tokenfab-region", config.RegionOf(site).name);
  } else {
    headers.Set("x-tokenfab-upstream", context_->name);
    headers.Set("x-tokenfab-region", "-");
  }
  headers.Set("x-request-id", admitted_.request_id);
  if (attempts_ > 1) headers.Set("x-tokenfab-attempts", std::to_string(attempts_));
}

ledger::UsageEvent RequestRelay::BuildEvent(std::string_view status, int http_status) const {
  ServedAttempt attempt;
  if (runtime_) {
    attempt.runtime = runtime_.get();
    attempt.upstream_index = upstream_index_;
    attempt.state_at_dispatch = state_at_dispatch_;
    attempt.dispatch_micros = dispatch_micros_;
    attempt.meter = &*meter_;
  }
  return BuildUsageEvent(*context_, admitted_, arrival_, attempt, status, http_status);
}

void RequestRelay::Record(ledger::UsageEvent event, std::function<void(bool durable)> then) {
  const int64_t tokens = event.total_tokens();
  RecordUsage(context_, std::move(event),
              [self = shared_from_this(), tokens, then = std::move(then)](bool durable) {
                // The stream's own event supersedes its progress records.
                if (self->progress_recorded_ && self->context_->spool != nullptr) {
                  self->context_->spool->CloseStream(self->admitted_.request_id);
                }
                // Settling the admission is a round trip to the counters (Redis): on a control
                // worker, not on the ledger's writer thread, which would hold up every other
                // request's usage event behind it. The answer ends after it, as before, so a
                // client that waits for it finds its slot free.
                self->context_->control.Schedule([self, tokens, durable, then = std::move(then)] {
                  self->FinishTicket(tokens);
                  then(durable);
                });
              });
}

void RequestRelay::ObserveLatency(const ledger::UsageEvent& event) {
  if (mode_ != Mode::kStream || meter_->first_content_micros() <= 0) return;
  LatencyObservation o;
  o.at_dispatch = state_at_dispatch_;
  o.predicted_ttft_ms = predicted_.ttft_ms;
  o.predicted_tpot_ms = predicted_.tpot_ms;
  if (predicted_.step_model) {
    o.predicted_decode_step_ms = predicted_.tpot_ms - predicted_.interference_ms;
  }
  o.ttft_ms = static_cast<double>(meter_->first_content_micros() - dispatch_micros_) / 1000.0;
  o.tpot_ms = static_cast<double>(event.tpot_micros) / 1000.0;
  o.prompt_tokens = admitted_.routing.prompt_tokens;
  o.cached_tokens = predicted_.cached_tokens;
  runtime_->Observe(o);
}

void RequestRelay::FinishTicket(int64_t tokens) {
  if (!admitted_.ticket) return;
  Status s = admitted_.ticket->Finish(tokens);
  if (!s.ok()) TF_LOG_WARN("request {}: admission release: {}", admitted_.request_id, s.message());
}

void RequestRelay::Conclude(AttemptOutcome outcome) {
  GatewayContext& ctx = *context_;
  Enter(RelayPhase::kRecording);
  switch (outcome) {
    case AttemptOutcome::kSuccess: {
      ctx.metrics.Outcome("ok").Increment();
      auto self = shared_from_this();
      ledger::UsageEvent event = BuildEvent("ok", 200);
      ObserveLatency(event);
      Record(std::move(event), [self](bool durable) {
        self->SendLastPart(durable);
        self->Enter(RelayPhase::kDone);
      });
      return;
    }
    case AttemptOutcome::kCancelled: {
      ctx.metrics.Outcome("cancelled").Increment();
      Record(BuildEvent("cancelled", 499),
             [self = shared_from_this()](bool) { self->Enter(RelayPhase::kDone); });
      return;
    }
    case AttemptOutcome::kClientError: {
      // The upstream refused the request itself: its answer goes to the client as it is.
      ctx.metrics.Outcome("rejected").Increment();
      net::HttpResponse response;
      response.status = upstream_status_;
      response.body = body_;
      response.headers.Set("Content-Type", "application/json");
      AddServedHeaders(response.headers);
      (void)exchange_->Respond(std::move(response));
      Record(BuildEvent("upstream_rejected", upstream_status_),
             [self = shared_from_this()](bool) { self->Enter(RelayPhase::kDone); });
      return;
    }
    default:
      return ConcludeFailure(outcome);
  }
}

void RequestRelay::SendLastPart(bool durable) {
  const api::ApiError not_recorded =
      api::MakeApiError(503, "The answer could not be recorded; it is not billed. Please retry.",
                        "server_error", "ledger_unavailable", 5);
  if (mode_ == Mode::kStream) {
    if (EnsureStreamStarted()) {
      (void)exchange_->WriteSseData(durable ? std::string("[DONE]")
                                            : api::ApiErrorJson(not_recorded));
    }
    (void)exchange_->Finish();
    return;
  }
  net::HttpResponse response =
      durable ? net::HttpResponse::Json(
                    upstream_status_,
                    WithServiceTier(body_, ledger::ServiceTierName(admitted_.tier.served)))
              : api::ApiErrorResponse(not_recorded);
  AddServedHeaders(response.headers);
  (void)exchange_->Respond(std::move(response));
}

void RequestRelay::ConcludeFailure(AttemptOutcome outcome) {
  GatewayContext& ctx = *context_;
  ctx.metrics.Outcome("error").Increment();
  auto self = shared_from_this();
  if (!client_saw_bytes_) {
    net::HttpResponse response =
        outcome == AttemptOutcome::kServerError && !body_.empty()
            ? net::HttpResponse::Json(upstream_status_, body_)  // the upstream's own words
            : FailureAnswer(outcome, last_failure_);
    AddServedHeaders(response.headers);
    const int status = response.status;
    (void)exchange_->Respond(std::move(response));
    Record(BuildEvent("error", status), [self](bool) { self->Enter(RelayPhase::kDone); });
    return;
  }
  // Cut off mid-stream: bill what was delivered, then tell the client the answer is incomplete.
  Record(BuildEvent("aborted", 200), [self](bool) {
    (void)self->exchange_->WriteSseData(api::ApiErrorJson(api::MakeApiError(
        500,
        fmt::format("The upstream stopped in the middle of the answer ({}).", self->last_failure_),
        "server_error", "upstream_aborted")));
    (void)self->exchange_->Finish();
    self->Enter(RelayPhase::kDone);
  });
}

}  // namespace tokenfab::gateway
