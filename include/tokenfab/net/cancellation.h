// Cancellation: a one-shot signal that an operation should stop, with the reason, observable by
// polling or by subscribing a callback. HttpServer gives each request a token that fires when the
// client disconnects, the request's time limit passes or the server stops; the engine subscribes
// to it to stop generating and free the request's KV blocks at once.
//
// CancellationSource owns the signal (whoever may cancel); CancellationToken observes it. Both are
// cheap shared handles to one state. Thread-safe: any thread may cancel, poll, subscribe or
// unsubscribe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

namespace tokenfab::net {

enum class CancelReason {
  kNone,                // not cancelled
  kClientDisconnected,  // the peer closed or reset the connection, or stopped reading
  kDeadlineExceeded,    // the request ran past its time limit
  kServerStopping,      // the server is shutting down
  kCancelled,           // cancelled by its owner (e.g. a caller that gave up)
};

std::string_view CancelReasonName(CancelReason reason);

namespace internal {
struct CancellationState;
}  // namespace internal

class CancellationToken {
 public:
  // A token that is never cancelled.
  CancellationToken();

  bool cancelled() const;
  CancelReason reason() const;  // kNone while not cancelled

  // Calls `callback(reason)` once when the token is cancelled: on the thread that cancels it, or
  // right now on this thread when it already is. The callback must be quick and must not block
  // (post work elsewhere). Returns an id for Unsubscribe (0 when the callback already ran).
  uint64_t Subscribe(std::function<void(CancelReason)> callback) const;
  // Removes a subscription. After it returns the callback will not start (it may be running
  // on another thread at this moment if cancellation is racing with this call).
  void Unsubscribe(uint64_t id) const;

 private:
  friend class CancellationSource;
  explicit CancellationToken(std::shared_ptr<internal::CancellationState> state);
  std::shared_ptr<internal::CancellationState> state_;
};

class CancellationSource {
 public:
  CancellationSource();

  // Cancels with `reason` (REQUIRES: not kNone) and runs the subscribed callbacks on this
  // thread. Returns false (and does nothing) when already cancelled: the first reason wins.
  bool Cancel(CancelReason reason) const;
  bool cancelled() const;
  CancelReason reason() const;  // kNone while not cancelled
  CancellationToken token() const;

 private:
  std::shared_ptr<internal::CancellationState> state_;
};

}  // namespace tokenfab::net
