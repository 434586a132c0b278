// The Batches API's status machine:
//
//   validating -> in_progress -> finalizing -> completed
//   validating -> failed                          (the input file did not validate)
//   in_progress -> finalizing -> expired           (the window ran out; done lines are kept)
//   validating | in_progress -> cancelling -> cancelled  (cancelling waits for lines in flight)
//   finalizing -> cancelled is not a move: a batch being finalized completes (or expires)
//
// A batch's status changes only through TransitionBatch, which checks the move and stamps its
// time field. Pure functions over ledger::BatchRecord.
#pragma once

#include <cstdint>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/batch_store.h"

namespace tokenfab::gateway {

enum class BatchStatus {
  kValidating,
  kFailed,
  kInProgress,
  kFinalizing,
  kCompleted,
  kExpired,
  kCancelling,
  kCancelled,
};

std::string_view BatchStatusName(BatchStatus status);
[[nodiscard]] StatusOr<BatchStatus> ParseBatchStatus(std::string_view name);
bool IsFinalBatchStatus(BatchStatus status);  // failed, completed, expired, cancelled

bool IsValidBatchTransition(BatchStatus from, BatchStatus to);

// Moves `batch` to `to` at `now_s` (sets status and the matching *_at field).
// FailedPrecondition (and nothing changed) when the move is not in the machine above.
[[nodiscard]] Status TransitionBatch(ledger::BatchRecord& batch, BatchStatus to, int64_t now_s);

}  // namespace tokenfab::gateway
