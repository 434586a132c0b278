// RequestChannel: the state one request's handle and the engine thread share: the queue of
// events not yet taken, the consumer's notifier, and the cancel flag that wakes the engine.
// Internal to the engine (the public face is RequestHandle).
//
// Ownership: shared by the RequestHandle and the engine's per-request state; it holds the
// engine's inbox (shared) so that a Cancel() after the engine is gone is harmless.
// Thread-safety: every method is thread-safe. The notifier runs on the delivering thread with no
// lock held.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "absl/synchronization/mutex.h"

#include "engine/engine_inbox.h"
#include "tokenfab/engine/engine_event.h"
#include "tokenfab/engine/scheduled_request.h"

namespace tokenfab::engine::internal {

class RequestChannel {
 public:
  RequestChannel(RequestId id, std::function<void()> on_events, std::shared_ptr<EngineInbox> inbox)
      : id_(id), on_events_(std::move(on_events)), inbox_(std::move(inbox)) {}
  RequestChannel(const RequestChannel&) = delete;
  RequestChannel& operator=(const RequestChannel&) = delete;

  RequestId id() const { return id_; }

  // Producer side (the engine thread). Appends `events` (moved from) and notifies the consumer
  // when the queue was empty. At most one kFinished, last. REQUIRES: !finished().
  void Deliver(std::vector<EngineEvent>* events);

  // Consumer side.
  size_t Poll(std::vector<EngineEvent>* events);
  EngineEvent Next();
  std::vector<EngineEvent> Wait();
  bool done() const;
  bool finished() const;

  // Asks the engine to cancel; no-op once finished or already asked.
  void Cancel();
  bool cancel_requested() const;

 private:
  const RequestId id_;
  const std::function<void()> on_events_;
  const std::shared_ptr<EngineInbox> inbox_;

  mutable absl::Mutex mu_;
  absl::CondVar cv_;
  std::deque<EngineEvent> queue_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // the kFinished event was delivered
  bool done_ ABSL_GUARDED_BY(mu_) = false;      // ... and taken
  bool cancel_requested_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tokenfab::engine::internal
