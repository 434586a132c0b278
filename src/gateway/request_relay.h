// RequestRelay: one inference request through the gateway, from its arrival to the ledger, in
// the phases of relay_phase.h:
//
//   kIntake     (control worker) RequestIntake: key -> principal, body parsed, upstreams ranked,
//               admission (request_intake.h); a refusal is answered and ends the request
//   kWaiting    (timer) no ranked upstream is predicted to meet the tier's TTFT SLO, or a flex
//               request finds no room the valley gate releases: the request waits in the SLO
//               queue (slo_queue.h), re-ranked on each pump, until one is, or is refused
//               (429/503 with Retry-After) when it cannot wait (relay_slo_wait.cc)
//   kCalling    (the client's I/O loop) one attempt at one upstream; its answer relayed as it
//               comes: each SSE event passed on at once (or dropped: the usage chunk the client
//               did not ask for; or held: the final [DONE])
//   kBackoff    (timer) waiting before the next candidate, after a failure the client did not see
//   kRecording  (ledger writer) the usage event is being committed (usage_recording.h); once
//               durable the held last chunk (or the whole answer) goes out; if the ledger refuses,
//               the client gets an error instead, so nothing unrecorded is ever acknowledged
//   kDone
//
// Phases change only through Enter(), which checks the move with IsValidTransition(). The phases
// run one after the other, handed over through the pool, the HTTP client, the timer and the
// recorder, so the relay's fields are never touched by two threads at once; the exception is the
// current client call's handle (Pause/Resume/Cancel), kept behind a mutex.
//
// Each request is counted once, by how it ended, in GatewayMetrics::Outcome() (which
// Gateway::stats() reads).
//
// Ownership: the relay keeps itself alive through the callbacks it hands out (shared_ptr); it
// holds the exchange and the admitted request (the generation it was routed under and its
// admission ticket among it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "fleet_state.h"
#include "gateway_context.h"
#include "inference_request.h"
#include "relay_phase.h"
#include "request_intake.h"
#include "response_meter.h"
#include "retry_route.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/usage_event.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/sse.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/latency_predictor.h"
#include "tokenfab/routing/routing_request.h"
#include "usage_recording.h"

namespace tokenfab::gateway {

class RequestRelay : public std::enable_shared_from_this<RequestRelay> {
 public:
  // Serves `exchange`, a POST to `endpoint`. Returns at once; the work runs elsewhere.
  static void Serve(std::shared_ptr<GatewayContext> context,
                    std::shared_ptr<net::HttpExchange> exchange, api::Endpoint endpoint);

  RequestRelay(std::shared_ptr<GatewayContext> context, std::shared_ptr<net::HttpExchange> exchange,
               api::Endpoint endpoint);
  ~RequestRelay();

 private:
  // How the current attempt's answer is read.
  enum class Mode { kNone, kStream, kWhole };

  void Enter(RelayPhase next);

  // Intake: RequestIntake's steps; on a refusal, Reject() answers and ends the request.
  void Intake();
  void Reject(net::HttpResponse response);
  // Flex (relay_slo_wait.cc): kIntake -> kCalling when the valley gate (valley_gate.h) has room
  // at a ranked upstream's site and no one waits ahead of it in the SLO queue; else kWaiting in
  // that queue (band flex, latest start options.flex_max_wait from now), released by its pump
  // into the gate's room; past its latest start, or when the queue refuses it, a 429 with
  // Retry-After.
  void WaitForFlexRoom();
  // The site the valley gate releases this flex request to now (on a fresh snapshot), if any.
  std::optional<uint32_t> FlexSite();
  // Starts the calls, the released site's upstreams first, when the gate has room. True when
  // the request left the wait (started, or its client went away).
  bool TryReleaseFlex(int64_t now_micros);
  void RefuseFlex();

  // SLO admission (relay_slo_wait.cc). Whether the request may be held for its TTFT SLO (the
  // gateway's SLO admission is on, its tier has a TTFT SLO and is not best-effort).
  bool MayWaitForSlo() const;
  // Whether some ranked upstream is predicted to give the first token within the SLO, counting
  // the time already spent since arrival.
  bool SomeoneMeetsTtft(int64_t now_micros) const;
  // Time until the best ranked upstream is predicted to meet the SLO (0: one does now), µs.
  int64_t PredictedDrainMicros(int64_t now_micros) const;
  // kIntake -> kWaiting: offers the request to the SLO queue; refuses it when it cannot wait.
  void WaitForSlo();
  // From the queue's pump: re-ranks on the fleet's state now and dispatches when someone meets
  // the SLO. True when the request left the queue.
  bool TryRelease(int64_t now_micros);
  void ExpireFromQueue(int retry_after_s);

  // Calls: one attempt, then its answer as it comes.
  void StartAttempt();
  // The next candidate whose circuit lets a request through (runtime_, upstream_index_); false
  // when none is left.
  bool PickUpstream();
  // A retry after the fleet changed: the best untried upstream of the generation in force
  // (retry_route.h), which then replaces the request's generation, snapshot and ranking; false
  // when the fleet is unchanged or none of it may take the request.
  bool PickOnNewerFleet();
  // Counts the attempt and resets what the previous one left.
  void BeginAttempt();
  // The call to the upstream picked.
  net::ClientRequest UpstreamCall() const;
  void Dispatch(net::ClientRequest call);
  void OnHead(int status, const net::HttpHeaders& headers);
  void OnData(std::string_view data);
  void OnEvent(net::SseEvent&& event);
  void OnDone(Status status);
  AttemptOutcome Classify(const Status& status) const;
  // Waits before the next candidate (kBackoff), then starts it.
  void BackOff();
  bool EnsureStreamStarted();
  void ApplyBackpressure();
  // Stream progress (GatewayOptions::stream_progress_events / _interval): into the spool, when
  // one is configured. Called before an event is written: when the exchange's buffer is empty,
  // the first `events` content events (`text_bytes` of the meter's text) are on the client's
  // socket.
  void MaybeRecordProgress(int64_t now_micros, int64_t events, size_t text_bytes);
  void RunOnCall(const std::function<void(net::ClientCall&)>& fn);

  // Conclusion: the answer's end, once the usage event is recorded.
  void Conclude(AttemptOutcome outcome);
  void ConcludeFailure(AttemptOutcome outcome);
  // The answer's last part once its usage event was committed (or refused by the ledger).
  void SendLastPart(bool durable);
  ledger::UsageEvent BuildEvent(std::string_view status, int http_status) const;
  // Records `event` (usage_recording.h), releases the admission ticket, then `then(durable)`.
  void Record(ledger::UsageEvent event, std::function<void(bool durable)> then);
  void FinishTicket(int64_t tokens);
  // A streamed answer ended well: what it saw, against what was predicted at dispatch, goes to
  // the upstream's learner and prediction error.
  void ObserveLatency(const ledger::UsageEvent& event);
  // x-tokenfab-upstream, x-tokenfab-region, x-request-id (and x-tokenfab-attempts).
  net::HttpHeaders ServedHeaders() const;
  void AddServedHeaders(net::HttpHeaders& headers) const;

  const std::shared_ptr<GatewayContext> context_;
  const std::shared_ptr<net::HttpExchange> exchange_;
  const api::Endpoint endpoint_;
  RelayPhase phase_ = RelayPhase::kIntake;
  RequestArrival arrival_;
  AdmittedRequest admitted_;  // filled by the intake

  // Attempts.
  size_t next_rank_ = 0;            // into admitted_.decision.ranked
  std::vector<std::string> tried_;  // identities of the upstreams attempted, in order
  int attempts_ = 0;
  std::shared_ptr<UpstreamRuntime> runtime_;  // of the current (last) attempt
  uint32_t upstream_index_ = 0;
  fleet::UpstreamState state_at_dispatch_;
  int64_t dispatch_micros_ = 0;           // monotonic, when the current attempt started
  routing::LatencyPrediction predicted_;  // of the current attempt, at dispatch
  absl::Mutex call_mu_;
  std::shared_ptr<net::ClientCall> call_ ABSL_GUARDED_BY(call_mu_);
  Mode mode_ = Mode::kNone;
  int upstream_status_ = 0;
  std::optional<net::SseParser> parser_;  // kStream: the answer's event parser
  std::optional<ResponseMeter> meter_;
  std::string body_;  // kWhole: the answer so far
  bool client_saw_bytes_ = false;
  bool paused_ = false;
  bool client_too_slow_ = false;
  bool body_too_large_ = false;
  // Stream progress: whether a record was written, content events and time (monotonic µs) at
  // the last one.
  bool progress_recorded_ = false;
  int64_t progress_events_ = 0;
  int64_t progress_micros_ = 0;
  std::string last_failure_;  // why the last attempt failed, for the client's error
  AttemptOutcome last_outcome_ = AttemptOutcome::kConnectFailed;
};

}  // namespace tokenfab::gateway
