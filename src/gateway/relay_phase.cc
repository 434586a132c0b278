#include "relay_phase.h"

namespace tokenfab::gateway {

std::string_view RelayPhaseName(RelayPhase phase) {
  switch (phase) {
    case RelayPhase::kIntake:
      return "intake";
    case RelayPhase::kWaiting:
      return "waiting";
    case RelayPhase::kCalling:
      return "calling";
    case RelayPhase::kBackoff:
      return "backoff";
    case RelayPhase::kRecording:
      return "recording";
    case RelayPhase::kDone:
      return "done";
  }
  return "?";
}

bool IsValidTransition(RelayPhase from, RelayPhase to) {
  switch (from) {
    case RelayPhase::kIntake:
      return to == RelayPhase::kCalling || to == RelayPhase::kWaiting || to == RelayPhase::kDone;
    case RelayPhase::kWaiting:
      return to == RelayPhase::kCalling || to == RelayPhase::kDone;
    case RelayPhase::kCalling:
      return to == RelayPhase::kBackoff || to == RelayPhase::kRecording;
    case RelayPhase::kBackoff:
      return to == RelayPhase::kCalling || to == RelayPhase::kRecording;
    case RelayPhase::kRecording:
      return to == RelayPhase::kDone;
    case RelayPhase::kDone:
      return false;
  }
  return false;
}

}  // namespace tokenfab::gateway
