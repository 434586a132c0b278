// RequestState: the lifecycle of one generation request, as an explicit enum with an explicit
// table of legal transitions. The state of a ScheduledRequest changes only through
// ScheduledRequest::TransitionTo(), which checks the move against this table (see
// scheduled_request.h).
//
//   queued     -> prefilling   admitted: holds KV blocks for all its tokens
//   prefilling -> decoding     its last prompt token computed, its first token sampled
//   prefilling -> finished     that first token already ends it
//   prefilling -> preempted    its blocks were taken back; it will recompute
//   decoding   -> preempted    (the same)
//   decoding   -> finished     stop token, stop string, max_tokens or context length
//   preempted  -> prefilling   re-admitted: recomputes prompt + generated, then decodes on
//   queued | prefilling | decoding | preempted -> cancelled | failed
//
// States are never compared by order: use the predicates below.
#pragma once

#include <string_view>

namespace tokenfab::engine {

enum class RequestState {
  kQueued,      // accepted, waiting for KV blocks and a running slot; never ran
  kPrefilling,  // holds KV blocks; computing its prompt (or, after preemption, prompt+generated)
  kDecoding,    // holds KV blocks; one new token per step
  kPreempted,   // lost its KV blocks to a more important request; waits to recompute and resume
  kFinished,    // terminal: a stop condition ended it (see FinishReason)
  kFailed,      // terminal: an error ended it
  kCancelled,   // terminal: the client cancelled it
};

// Why a request ended; reported to clients as the OpenAI `finish_reason`.
enum class FinishReason {
  kNone,       // not finished
  kStop,       // a stop token id or a stop string ("stop")
  kLength,     // max_tokens or the context length ("length")
  kCancelled,  // cancelled by the client ("abort", as vLLM names it)
  kError,      // failed ("error")
};

std::string_view RequestStateName(RequestState state);
// The OpenAI/vLLM spelling: "stop", "length", "abort", "error"; "" for kNone.
std::string_view FinishReasonName(FinishReason reason);

// True for finished, failed and cancelled: no transition leaves them.
bool IsTerminal(RequestState state);
// True for prefilling and decoding: the request holds KV blocks and is scheduled for steps.
bool IsRunning(RequestState state);
// True for queued and preempted: the request waits for admission and holds no KV blocks.
bool IsWaiting(RequestState state);

// Whether `from` -> `to` is a legal move (see the diagram above). A state never moves to itself.
bool IsValidTransition(RequestState from, RequestState to);

}  // namespace tokenfab::engine
