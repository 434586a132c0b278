#include "tokenfab/net/cancellation.h"

#include <atomic>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/check.h"

namespace tokenfab::net {
namespace internal {

struct CancellationState {
  std::atomic<CancelReason> reason{CancelReason::kNone};
  absl::Mutex mu;
  uint64_t next_id ABSL_GUARDED_BY(mu) = 1;
  std::vector<std::pair<uint64_t, std::function<void(CancelReason)>>> callbacks ABSL_GUARDED_BY(mu);
};

}  // namespace internal

std::string_view CancelReasonName(CancelReason reason) {
  switch (reason) {
    case CancelReason::kNone:
      return "none";
    case CancelReason::kClientDisconnected:
      return "client disconnected";
    case CancelReason::kDeadlineExceeded:
      return "deadline exceeded";
    case CancelReason::kServerStopping:
      return "server stopping";
    case CancelReason::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

CancellationToken::CancellationToken() : state_(std::make_shared<internal::CancellationState>()) {}

CancellationToken::CancellationToken(std::shared_ptr<internal::CancellationState> state)
    : state_(std::move(state)) {}

bool CancellationToken::cancelled() const { return reason() != CancelReason::kNone; }

CancelReason CancellationToken::reason() const {
  return state_->reason.load(std::memory_order_acquire);
}

uint64_t CancellationToken::Subscribe(std::function<void(CancelReason)> callback) const {
  {
    absl::MutexLock lock(&state_->mu);
    const CancelReason reason = state_->reason.load(std::memory_order_acquire);
    if (reason == CancelReason::kNone) {
      const uint64_t id = state_->next_id++;
      state_->callbacks.emplace_back(id, std::move(callback));
      return id;
    }
  }
  callback(reason());
  return 0;
}

void CancellationToken::Unsubscribe(uint64_t id) const {
  if (id == 0) return;
  absl::MutexLock lock(&state_->mu);
  std::erase_if(state_->callbacks, [id](const auto& entry) { return entry.first == id; });
}

CancellationSource::CancellationSource()
    : state_(std::make_shared<internal::CancellationState>()) {}

bool CancellationSource::Cancel(CancelReason reason) const {
  TF_CHECK(reason != CancelReason::kNone);
  std::vector<std::pair<uint64_t, std::function<void(CancelReason)>>> callbacks;
  {
    absl::MutexLock lock(&state_->mu);
    CancelReason expected = CancelReason::kNone;
    if (!state_->reason.compare_exchange_strong(expected, reason, std::memory_order_acq_rel)) {
      return false;
    }
    callbacks.swap(state_->callbacks);
  }
  for (auto& [id, callback] : callbacks) callback(reason);
  return true;
}

bool CancellationSource::cancelled() const {
  return state_->reason.load(std::memory_order_acquire) != CancelReason::kNone;
}

CancelReason CancellationSource::reason() const {
  return state_->reason.load(std::memory_order_acquire);
}

CancellationToken CancellationSource::token() const { return CancellationToken(state_); }

}  // namespace tokenfab::net
