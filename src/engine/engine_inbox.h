// EngineInbox: where client threads leave work for the engine thread: submitted requests,
// cancellations, and the shutdown signal; and where the engine thread sleeps when it has
// nothing to do. It also enforces the bound on waiting requests, counting both the submissions
// not yet taken and the requests waiting inside the scheduler (published by the engine thread).
//
// Ownership: shared by the engine and every request channel (a cancel may outlive the engine).
// Thread-safety: every method is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "tokenfab/base/status.h"
#include "tokenfab/engine/scheduled_request.h"

namespace tokenfab::engine::internal {

class RequestChannel;

struct Submission {
  RequestSpec spec;  // id, arrival and seed set by the engine
  uint64_t seed = 0;
  std::shared_ptr<RequestChannel> channel;
};

class EngineInbox {
 public:
  explicit EngineInbox(int32_t max_waiting) : max_waiting_(max_waiting) {}
  EngineInbox(const EngineInbox&) = delete;
  EngineInbox& operator=(const EngineInbox&) = delete;

  // Queues a submission and wakes the engine. Unavailable once closed; ResourceExhausted (with
  // the retry estimate as payload, see RetryAfterMillis()) when max_waiting requests wait.
  [[nodiscard]] Status PushSubmit(Submission submission);
  // Queues a cancellation and wakes the engine (ignored once closed: the engine cancels all).
  void PushCancel(RequestId id);

  // Engine side: moves everything pending out. The taken submissions count as waiting until the
  // next SetEngineWaiting().
  void Take(std::vector<Submission>* submissions, std::vector<RequestId>* cancels);
  // Blocks until something is pending or the inbox is closed.
  void WaitForWork();
  // The number of requests waiting inside the engine, and the retry estimate to hand rejected
  // clients (ms).
  void SetEngineWaiting(int32_t waiting, int64_t retry_after_ms);

  // No more submissions; wakes the engine. Idempotent.
  void Close();
  bool closed() const;

 private:
  const int32_t max_waiting_;
  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::vector<Submission> submissions_ ABSL_GUARDED_BY(mu_);
  std::vector<RequestId> cancels_ ABSL_GUARDED_BY(mu_);
  int32_t engine_waiting_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t retry_after_ms_ ABSL_GUARDED_BY(mu_) = 1000;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

// The payload key under which a ResourceExhausted from Submit() carries its retry estimate.
inline constexpr char kRetryAfterPayload[] = "tokenfab.engine.retry_after_ms";

}  // namespace tokenfab::engine::internal
