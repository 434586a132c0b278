#include "batch_status.h"

#include <fmt/format.h>

namespace tokenfab::gateway {
namespace {

constexpr BatchStatus kAll[] = {
    BatchStatus::kValidating, BatchStatus::kFailed,    BatchStatus::kInProgress,
    BatchStatus::kFinalizing, BatchStatus::kCompleted, BatchStatus::kExpired,
    BatchStatus::kCancelling, BatchStatus::kCancelled,
};

}  // namespace

std::string_view BatchStatusName(BatchStatus status) {
  switch (status) {
    case BatchStatus::kValidating:
      return "validating";
    case BatchStatus::kFailed:
      return "failed";
    case BatchStatus::kInProgress:
      return "in_progress";
    case BatchStatus::kFinalizing:
      return "finalizing";
    case BatchStatus::kCompleted:
      return "completed";
    case BatchStatus::kExpired:
      return "expired";
    case BatchStatus::kCancelling:
      return "cancelling";
    case BatchStatus::kCancelled:
      return "cancelled";
  }
  return "failed";
}

StatusOr<BatchStatus> ParseBatchStatus(std::string_view name) {
  for (BatchStatus s : kAll) {
    if (BatchStatusName(s) == name) return s;
  }
  return absl::InvalidArgumentError(fmt::format("unknown batch status '{}'", name));
}

bool IsFinalBatchStatus(BatchStatus status) {
  return status == BatchStatus::kFailed || status == BatchStatus::kCompleted ||
         status == BatchStatus::kExpired || status == BatchStatus::kCancelled;
}

bool IsValidBatchTransition(BatchStatus from, BatchStatus to) {
  using S = BatchStatus;
  switch (from) {
    case S::kValidating:
      return to == S::kInProgress || to == S::kFailed || to == S::kCancelling;
    case S::kInProgress:
      return to == S::kFinalizing || to == S::kCancelling;
    case S::kFinalizing:
      return to == S::kCompleted || to == S::kExpired;
    case S::kCancelling:
      return to == S::kCancelled;
    case S::kFailed:
    case S::kCompleted:
    case S::kExpired:
    case S::kCancelled:
      return false;
  }
  return false;
}

Status TransitionBatch(ledger::BatchRecord& batch, BatchStatus to, int64_t now_s) {
  TF_ASSIGN_OR_RETURN(BatchStatus from, ParseBatchStatus(batch.status));
  if (!IsValidBatchTransition(from, to)) {
    return absl::FailedPreconditionError(fmt::format("batch {} cannot go from {} to {}", batch.id,
                                                     batch.status, BatchStatusName(to)));
  }
  batch.status = std::string(BatchStatusName(to));
  switch (to) {
    case BatchStatus::kInProgress:
      batch.in_progress_at = now_s;
      break;
    case BatchStatus::kFinalizing:
      batch.finalizing_at = now_s;
      break;
    case BatchStatus::kCompleted:
      batch.completed_at = now_s;
      break;
    case BatchStatus::kFailed:
      batch.failed_at = now_s;
      break;
    case BatchStatus::kExpired:
      batch.expired_at = now_s;
      break;
    case BatchStatus::kCancelling:
      batch.cancelling_at = now_s;
      break;
    case BatchStatus::kCancelled:
      batch.cancelled_at = now_s;
      break;
    case BatchStatus::kValidating:
      break;
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::gateway
