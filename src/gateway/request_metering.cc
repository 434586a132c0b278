// RequestRelay, the conclusion: usage, energy and price of the request, its usage event, and the
// last part of the answer, sent once the event is durable.
#include <fmt/format.h>

#include "request_energy.h"
#include "request_relay.h"
#include "tokenfab/api/api_error.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::gateway {
namespace {

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

net::HttpHeaders RequestRelay::ServedHeaders() const {
  net::HttpHeaders headers;
  AddServedHeaders(headers);
  return headers;
}

void RequestRelay::AddServedHeaders(net::HttpHeaders& headers) const {
  if (runtime_) {
    const fleet::FleetConfig& config = *generation_->config;
    const fleet::Site& site = config.SiteOf(config.upstreams()[upstream_index_]);
    headers.Set("x-tokenfab-upstream", runtime_->name());
    headers.Set("x-tokenfab-region", config.RegionOf(site).name);
  } else {
    headers.Set("x-tokenfab-upstream", context_->name);
    headers.Set("x-tokenfab-region", "-");
  }
  headers.Set("x-request-id", request_id_);
  if (attempts_ > 1) headers.Set("x-tokenfab-attempts", std::to_string(attempts_));
}

ledger::UsageEvent RequestRelay::BuildEvent(std::string_view status, int http_status) {
  GatewayContext& ctx = *context_;
  const fleet::FleetConfig& config = *generation_->config;
  ledger::UsageEvent e;
  e.request_id = request_id_;
  e.tenant = principal_->tenant.name;
  e.key_id = principal_->key_id;
  e.model = request_.model;
  e.status = std::string(status);
  e.http_status = http_status;
  e.started_micros = arrival_wall_micros_;
  e.finished_micros = ctx.clock.WallMicros();
  e.currency = config.currency();
  if (!runtime_) return e;
  const fleet::Upstream& up = config.upstreams()[upstream_index_];
  const fleet::Site& site = config.SiteOf(up);
  const fleet::Region& region = config.RegionOf(site);
  e.upstream = up.name;
  e.site = site.name;
  e.region = region.name;
  // Tokens: as the upstream reported them, else counted; nothing when it produced nothing.
  const std::optional<ReportedUsage>& usage = meter_->usage();
  if (usage) {
    e.prompt_tokens = usage->prompt_tokens;
    e.cached_tokens = usage->cached_tokens;
    e.completion_tokens = usage->completion_tokens;
  } else if (meter_->content_events() > 0) {
    e.prompt_tokens = generation_->vocabularies->CountPrompt(request_);
    e.completion_tokens = generation_->vocabularies->CountText(request_.model, meter_->text());
  }
  if (meter_->first_content_micros() > 0) {
    e.ttft_micros = meter_->first_content_micros() - arrival_micros_;
    if (e.completion_tokens > 1) {
      e.tpot_micros = (meter_->last_content_micros() - meter_->first_content_micros()) /
                      (e.completion_tokens - 1);
    }
  }
  if (e.total_tokens() > 0) {
    const RequestEnergy energy =
        EstimateRequestEnergy(config, upstream_index_, state_at_dispatch_, runtime_->max_running(),
                              ctx.clock.NowMicros() - dispatch_micros_);
    e.energy_wh = energy.facility_wh;
    e.carbon_g = energy.carbon_g;
    const double energy_cost = energy.facility_wh / 1000.0 * snapshot_->SitePrice(up.site_index);
    ctx.metrics.RegionEnergy(region.name, e.energy_wh, energy_cost, e.total_tokens());
    StatusOr<ledger::Cost> cost =
        ctx.prices.Get()->Quote(e.model, e.region, e.finished_micros, e.prompt_tokens,
                                e.cached_tokens, e.completion_tokens);
    if (cost.ok()) {
      e.cost = cost->amount;
      e.currency = cost->currency;
    }
  }
  ctx.metrics.prompt_tokens.Increment(static_cast<double>(e.prompt_tokens));
  ctx.metrics.completion_tokens.Increment(static_cast<double>(e.completion_tokens));
  ctx.metrics.cached_tokens.Increment(static_cast<double>(e.cached_tokens));
  ctx.metrics.energy_wh.Increment(e.energy_wh);
  return e;
}

void RequestRelay::FinishTicket(int64_t tokens) {
  if (!ticket_) return;
  Status s = ticket_->Finish(tokens);
  if (!s.ok()) TF_LOG_WARN("request {}: admission release: {}", request_id_, s.message());
}

void RequestRelay::Record(ledger::UsageEvent event, std::function<void(bool durable)> then) {
  GatewayContext& ctx = *context_;
  const int64_t tokens = event.total_tokens();
  auto self = shared_from_this();
  auto done = [self, tokens, then = std::move(then)](StatusOr<ledger::InsertOutcome> outcome) {
    GatewayContext& c = *self->context_;
    if (outcome.ok()) {
      c.counters.recorded.fetch_add(1, std::memory_order_relaxed);
    } else {
      c.counters.record_failures.fetch_add(1, std::memory_order_relaxed);
      TF_LOG_ERROR("request {}: usage event not recorded: {}", self->request_id_,
                   outcome.status().message());
    }
    self->FinishTicket(tokens);
    then(outcome.ok());
  };
  Status queued = ctx.recorder.TryRecord(event, done);
  if (absl::IsResourceExhausted(queued)) {
    // The ledger is behind: wait for room on a control worker, not on an I/O loop.
    ctx.control.Schedule([self, event = std::move(event), done]() mutable {
      Status s = self->context_->recorder.Record(std::move(event), done);
      if (!s.ok()) done(s);
    });
    return;
  }
  if (!queued.ok()) done(queued);
}

void RequestRelay::Conclude(AttemptOutcome outcome) {
  GatewayContext& ctx = *context_;
  Enter(Phase::kRecording);
  switch (outcome) {
    case AttemptOutcome::kSuccess: {
      ctx.counters.completed.fetch_add(1, std::memory_order_relaxed);
      ctx.metrics.Outcome("ok").Increment();
      auto self = shared_from_this();
      Record(BuildEvent("ok", 200), [self](bool durable) {
        self->SendLastPart(durable);
        self->Enter(Phase::kDone);
      });
      return;
    }
    case AttemptOutcome::kCancelled: {
      ctx.counters.cancelled.fetch_add(1, std::memory_order_relaxed);
      ctx.metrics.Outcome("cancelled").Increment();
      Record(BuildEvent("cancelled", 499), [self = shared_from_this()](bool) {
        self->Enter(Phase::kDone);
      });
      return;
    }
    case AttemptOutcome::kClientError: {
      // The upstream refused the request itself: its answer goes to the client as it is.
      ctx.counters.rejected.fetch_add(1, std::memory_order_relaxed);
      ctx.metrics.Outcome("rejected").Increment();
      net::HttpResponse response;
      response.status = upstream_status_;
      response.body = body_;
      response.headers.Set("Content-Type", "application/json");
      AddServedHeaders(response.headers);
      (void)exchange_->Respond(std::move(response));
      Record(BuildEvent("upstream_rejected", upstream_status_),
             [self = shared_from_this()](bool) { self->Enter(Phase::kDone); });
      return;
    }
    default:
      return ConcludeFailure(outcome);
  }
}

void RequestRelay::SendLastPart(bool durable) {
  const api::ApiError not_recorded =
      api::MakeApiError(500, "The answer could not be recorded; it is not billed. Please retry.",
                        "server_error", "ledger_unavailable");
  if (mode_ == Mode::kStream) {
    if (EnsureStreamStarted()) {
      (void)exchange_->WriteSseData(durable ? std::string("[DONE]")
                                            : api::ApiErrorJson(not_recorded));
    }
    (void)exchange_->Finish();
    return;
  }
  net::HttpResponse response = durable ? net::HttpResponse::Json(upstream_status_, body_)
                                       : api::ApiErrorResponse(not_recorded);
  AddServedHeaders(response.headers);
  (void)exchange_->Respond(std::move(response));
}

void RequestRelay::ConcludeFailure(AttemptOutcome outcome) {
  GatewayContext& ctx = *context_;
  ctx.counters.failed.fetch_add(1, std::memory_order_relaxed);
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
    Record(BuildEvent("error", status), [self](bool) { self->Enter(Phase::kDone); });
    return;
  }
  // Cut off mid-stream: bill what was delivered, then tell the client the answer is incomplete.
  Record(BuildEvent("aborted", 200), [self](bool) {
    (void)self->exchange_->WriteSseData(api::ApiErrorJson(api::MakeApiError(
        500,
        fmt::format("The upstream stopped in the middle of the answer ({}).", self->last_failure_),
        "server_error", "upstream_aborted")));
    (void)self->exchange_->Finish();
    self->Enter(Phase::kDone);
  });
}

}  // namespace tokenfab::gateway
