#include "tokenfab/engine/request_state.h"

namespace tokenfab::engine {

std::string_view RequestStateName(RequestState state) {
  switch (state) {
    case RequestState::kQueued:
      return "queued";
    case RequestState::kPrefilling:
      return "prefilling";
    case RequestState::kDecoding:
      return "decoding";
    case RequestState::kPreempted:
      return "preempted";
    case RequestState::kFinished:
      return "finished";
    case RequestState::kFailed:
      return "failed";
    case RequestState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kNone:
      return "";
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kCancelled:
      return "abort";
    case FinishReason::kError:
      return "error";
  }
  return "";
}

bool IsTerminal(RequestState state) {
  switch (state) {
    case RequestState::kFinished:
    case RequestState::kFailed:
    case RequestState::kCancelled:
      return true;
    case RequestState::kQueued:
    case RequestState::kPrefilling:
    case RequestState::kDecoding:
    case RequestState::kPreempted:
      return false;
  }
  return false;
}

bool IsRunning(RequestState state) {
  return state == RequestState::kPrefilling || state == RequestState::kDecoding;
}

bool IsWaiting(RequestState state) {
  return state == RequestState::kQueued || state == RequestState::kPreempted;
}

bool IsValidTransition(RequestState from, RequestState to) {
  // Every live state may be cancelled or fail.
  if (!IsTerminal(from) && (to == RequestState::kCancelled || to == RequestState::kFailed)) {
    return true;
  }
  switch (from) {
    case RequestState::kQueued:
      return to == RequestState::kPrefilling;
    case RequestState::kPrefilling:
      return to == RequestState::kDecoding || to == RequestState::kPreempted ||
             to == RequestState::kFinished;
    case RequestState::kDecoding:
      return to == RequestState::kPreempted || to == RequestState::kFinished;
    case RequestState::kPreempted:
      return to == RequestState::kPrefilling;
    case RequestState::kFinished:
    case RequestState::kFailed:
    case RequestState::kCancelled:
      return false;
  }
  return false;
}

}  // namespace tokenfab::engine
