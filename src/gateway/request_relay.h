// RequestRelay: one inference request through the gateway, from intake to the ledger:
//
//   kIntake     (control worker) key -> principal, body parsed, upstreams ranked, admission
//   kCalling    (the client's I/O loop) one attempt at one upstream; its answer relayed as it
//               comes: each SSE event passed on at once (or dropped: the usage chunk the client
//               did not ask for; or held: the final [DONE])
//   kBackoff    (timer) waiting before the next candidate, after a failure the client did not see
//   kRecording  (ledger writer) the usage event is being committed; once durable the held last
//               chunk (or the whole answer) goes out; if the ledger refuses, the client gets an
//               error instead, so nothing unrecorded is ever acknowledged
//   kDone
//
// Phases change only through Enter(), which checks the transition. The phases run one after the
// other, handed over through the pool, the HTTP client, the timer and the recorder, so the
// relay's fields are never touched by two threads at once; the exception is the current client
// call's handle (Pause/Resume/Cancel), kept behind a mutex.
//
// Ownership: the relay keeps itself alive through the callbacks it hands out (shared_ptr); it
// holds the exchange, the generation it was routed under and its admission ticket.
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
#include "response_meter.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/ledger/usage_event.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/net/sse.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/routing_request.h"

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
  enum class Phase { kIntake, kCalling, kBackoff, kRecording, kDone };
  // How the current attempt's answer is read.
  enum class Mode { kNone, kStream, kWhole };

  void Enter(Phase next);

  // Intake (request_intake.cc): each step returns the refusal that ends the request, if any.
  void Intake();
  void AssignRequestId();
  std::optional<net::HttpResponse> Authenticate();
  std::optional<net::HttpResponse> ReadRequest();
  std::optional<net::HttpResponse> Route();
  std::optional<net::HttpResponse> Admit();
  // Prompt length estimate and prefix hashes (block hashes of token ids, else text chunks).
  void HashPrompt();
  // Why no upstream was ranked, as the client's answer.
  net::HttpResponse NoUpstreamAnswer() const;
  void Reject(net::HttpResponse response, std::string_view outcome);

  // Calls (request_relay.cc).
  void StartAttempt();
  void OnHead(int status, const net::HttpHeaders& headers);
  void OnData(std::string_view data);
  void OnEvent(net::SseEvent&& event);
  void OnDone(Status status);
  AttemptOutcome Classify(const Status& status) const;
  bool EnsureStreamStarted();
  void ApplyBackpressure();
  void RunOnCall(const std::function<void(net::ClientCall&)>& fn);

  // Conclusion (request_metering.cc).
  void Conclude(AttemptOutcome outcome);
  void ConcludeFailure(AttemptOutcome outcome);
  // The answer's last part once its usage event was committed (or refused by the ledger).
  void SendLastPart(bool durable);
  ledger::UsageEvent BuildEvent(std::string_view status, int http_status);
  void Record(ledger::UsageEvent event, std::function<void(bool durable)> then);
  void FinishTicket(int64_t tokens);
  // x-tokenfab-upstream, x-tokenfab-region, x-request-id (and x-tokenfab-attempts).
  net::HttpHeaders ServedHeaders() const;
  void AddServedHeaders(net::HttpHeaders& headers) const;

  const std::shared_ptr<GatewayContext> context_;
  const std::shared_ptr<net::HttpExchange> exchange_;
  const api::Endpoint endpoint_;
  Phase phase_ = Phase::kIntake;

  // Intake.
  std::string request_id_;
  int64_t arrival_micros_ = 0;       // monotonic
  int64_t arrival_wall_micros_ = 0;  // µs since the epoch
  std::optional<ledger::Principal> principal_;
  InferenceRequest request_;
  std::shared_ptr<const FleetGeneration> generation_;
  std::shared_ptr<const fleet::FleetSnapshot> snapshot_;
  routing::RoutingDecision decision_;
  routing::RoutingRequest routing_;  // borrows the vectors below
  std::vector<std::string> allowed_regions_;
  std::vector<uint64_t> text_hashes_;
  std::vector<uint64_t> block_hashes_;
  int64_t prompt_tokens_ = 0;  // estimate, for routing and admission
  std::optional<ledger::AdmissionTicket> ticket_;

  // Attempts.
  size_t next_rank_ = 0;  // into decision_.ranked
  int attempts_ = 0;
  std::shared_ptr<UpstreamRuntime> runtime_;  // of the current (last) attempt
  uint32_t upstream_index_ = 0;
  fleet::UpstreamState state_at_dispatch_;
  int64_t dispatch_micros_ = 0;  // monotonic, when the current attempt started
  absl::Mutex call_mu_;
  std::shared_ptr<net::ClientCall> call_ ABSL_GUARDED_BY(call_mu_);
  Mode mode_ = Mode::kNone;
  int upstream_status_ = 0;
  std::optional<net::SseParser> parser_;  // kStream: the answer's event parser
  std::optional<ResponseMeter> meter_;
  std::string body_;            // kWhole: the answer so far
  bool client_saw_bytes_ = false;
  bool paused_ = false;
  bool client_too_slow_ = false;
  bool body_too_large_ = false;
  std::string last_failure_;  // why the last attempt failed, for the client's error
  AttemptOutcome last_outcome_ = AttemptOutcome::kConnectFailed;
};

}  // namespace tokenfab::gateway
