// What the fleet twin's commands (`sim`, `plan`) set for their process before they run it.
#pragma once

#include "absl/synchronization/mutex.h"

namespace tokenfab::cli {

// The twin is single-threaded and locks the gateway's mutexes millions of times (snapshots,
// admission counters): the library's deadlock-cycle bookkeeping cost several % of its time.
inline void TurnOffMutexDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

}  // namespace tokenfab::cli
