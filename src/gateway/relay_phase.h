// RelayPhase: the phases of one inference request through the gateway, as an explicit enum with
// an explicit table of legal moves. A RequestRelay's phase changes only through
// RequestRelay::Enter(), which checks the move against this table.
//
//   intake    -> calling     RequestIntake admitted it: key, body, routing and admission passed
//   intake    -> done        RequestIntake refused it; the refusal is the answer
//   intake    -> waiting     admitted, but no upstream is predicted to meet the tier's TTFT SLO:
//                            it waits in the gateway's SLO queue (slo_queue.h)
//   waiting   -> calling     an upstream is predicted to meet it now
//   waiting   -> done        its latest start passed (503), or its client went away
//   calling   -> backoff     the attempt failed before the client saw a byte; another upstream
//                            is left and the retry policy allows it
//   backoff   -> calling     the backoff elapsed: the next candidate is tried
//   calling   -> recording   the attempt ended (answered, refused, cancelled, or failed with no
//                            retry left): its usage event goes to the ledger
//   backoff   -> recording   no candidate whose circuit lets a request through was left
//   recording -> done        the event is durable (or refused): the answer's last part went out
//
// Where each phase runs: intake on a control worker (request_intake.h); waiting on the timer
// that pumps the SLO queue; calling on the client's
// I/O loop (request_relay.h); backoff on the timer (timer_queue.h); recording on the ledger
// writer (usage_recording.h).
#pragma once

#include <string_view>

namespace tokenfab::gateway {

enum class RelayPhase {
  kIntake,     // authenticating, parsing, routing and admitting the request
  kWaiting,    // in the SLO queue until an upstream is predicted to meet the TTFT SLO
  kCalling,    // one attempt at one upstream; its answer relayed as it comes
  kBackoff,    // waiting before the next candidate
  kRecording,  // the usage event is being committed; the answer's last part is held
  kDone,       // terminal: answered and recorded (or refused at intake)
};

std::string_view RelayPhaseName(RelayPhase phase);

// Whether `from` -> `to` is a legal move (see the diagram above). A phase never moves to itself.
bool IsValidTransition(RelayPhase from, RelayPhase to);

}  // namespace tokenfab::gateway
