// RequestIntake: the first phase of an inference request (RelayPhase::kIntake, on a control
// worker): its id, its key, its body, its routing and its admission, in that order. Each step
// either passes or produces the answer that refuses the request; an admitted request is handed to
// the RequestRelay that runs the calls (request_relay.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleet_state.h"
#include "gateway_context.h"
#include "inference_request.h"
#include "spare_capacity.h"
#include "tokenfab/api/endpoint.h"
#include "tokenfab/fleet/fleet_snapshot.h"
#include "tokenfab/ledger/admission.h"
#include "tokenfab/ledger/authenticator.h"
#include "tokenfab/net/http_exchange.h"
#include "tokenfab/routing/decision.h"
#include "tokenfab/routing/routing_request.h"

namespace tokenfab::gateway {

// What the intake learned about a request: everything the calls and the usage event need.
// `routing` borrows the strings and vectors of this struct, so it is filled in place and never
// copied or moved. Complete only once RequestIntake::Run() returned no refusal; `request_id` is
// set in every case.
struct AdmittedRequest {
  AdmittedRequest() = default;
  AdmittedRequest(const AdmittedRequest&) = delete;
  AdmittedRequest& operator=(const AdmittedRequest&) = delete;

  std::string request_id;  // x-request-id of the answer, the upstream calls and the ledger
  ledger::Principal principal;
  InferenceRequest request;
  std::shared_ptr<const FleetGeneration> generation;  // the fleet it was routed under
  std::shared_ptr<const fleet::FleetSnapshot> snapshot;
  routing::RoutingRequest routing;  // borrows the fields above and below
  routing::RoutingDecision decision;
  std::vector<std::string> allowed_regions;
  std::vector<uint64_t> text_hashes;
  std::vector<uint64_t> block_hashes;
  std::optional<ledger::AdmissionTicket> ticket;  // released once the usage event is recorded
  bool batch_line = false;  // sent by this gateway's batch runner (x-tokenfab-batch)
  bool from_peer = false;   // sent by an authenticated peer gateway (peer_trust.h): not admitted
                            // again; its request id is kept
  TierDecision tier;        // served and billed tier, and the node priority
  // A stream's prompt counted with the model's tokenizer by the intake (on a control worker, not
  // an I/O loop), for its progress records (usage_recording.h); -1: not counted (no spool, or
  // not a stream).
  int64_t counted_prompt_tokens = -1;
};

class RequestIntake {
 public:
  // Borrows every argument for the duration of Run().
  RequestIntake(GatewayContext& context, const net::HttpExchange& exchange, api::Endpoint endpoint,
                AdmittedRequest& admitted);

  // Runs the steps. Returns the answer refusing the request (a 5xx counts as an error, anything
  // else as a rejection), or nullopt when `admitted` is complete and the calls may start.
  std::optional<net::HttpResponse> Run();

 private:
  void AssignRequestId();
  std::optional<net::HttpResponse> Authenticate();
  // The batch runner's own call: the tenant and key named in its headers (batch_line set).
  std::optional<net::HttpResponse> AuthenticateBatchLine();
  std::optional<net::HttpResponse> ReadRequest();
  std::optional<net::HttpResponse> Route();
  std::optional<net::HttpResponse> Admit();
  // Prompt length estimate and prefix hashes (block hashes of token ids, else text chunks).
  void HashPrompt();
  // Why no upstream was ranked, as the client's answer.
  net::HttpResponse NoUpstreamAnswer() const;

  GatewayContext& context_;
  const net::HttpExchange& exchange_;
  const api::Endpoint endpoint_;
  AdmittedRequest& admitted_;
  int64_t prompt_tokens_ = 0;  // estimate, for routing and admission
};

}  // namespace tokenfab::gateway
