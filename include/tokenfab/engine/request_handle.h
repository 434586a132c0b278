// RequestHandle: the client's end of one submitted request: it receives the request's events
// (engine_event.h) and can cancel it.
//
// Delivery. The engine thread appends each step's events to the request's queue and, when the
// queue was empty, calls the request's `on_events` notifier (engine_request.h); the consumer
// takes them on its own thread with Poll() (never blocks: for I/O threads) or Next()/Wait()
// (block: for the CLI, benchmarks and tests). The engine thread therefore never blocks on a
// slow client, never runs serialisation or socket code, and a consumer that falls behind simply
// takes several events in one Poll() (one network write for many tokens). Events are never
// dropped; a consumer that stops reading should Cancel().
//
// Cancel() asks the engine to end the request; the engine frees its KV blocks at the next step
// boundary (before the next step is scheduled) and delivers a kFinished event with kCancelled
// (unless it had finished already). Destroying a handle whose stream has not finished cancels
// the request, so a handler that gives up early cannot leave a generation running.
//
// Ownership: the handle shares the request's channel with the engine; either may go first.
// Thread-safety: all methods may be called from any thread; Next()/Wait() by one consumer at a
// time. Move-only.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "tokenfab/engine/engine_event.h"
#include "tokenfab/engine/scheduled_request.h"

namespace tokenfab::engine {

namespace internal {
class RequestChannel;
}  // namespace internal

class RequestHandle {
 public:
  RequestHandle() = default;  // an empty handle (valid() is false)
  explicit RequestHandle(std::shared_ptr<internal::RequestChannel> channel);
  ~RequestHandle();
  RequestHandle(RequestHandle&& other) noexcept;
  RequestHandle& operator=(RequestHandle&& other) noexcept;
  RequestHandle(const RequestHandle&) = delete;
  RequestHandle& operator=(const RequestHandle&) = delete;

  bool valid() const { return channel_ != nullptr; }
  // The engine's id of the request. REQUIRES: valid().
  RequestId id() const;

  // Moves every event delivered and not yet taken to the end of `*events`; returns how many.
  // Never blocks. REQUIRES: valid().
  size_t Poll(std::vector<EngineEvent>* events);
  // Blocks until an event is available and takes it. REQUIRES: valid(), !done().
  EngineEvent Next();
  // Blocks until the stream has finished; returns every event not taken yet, the kFinished one
  // last. REQUIRES: valid().
  std::vector<EngineEvent> Wait();
  // True once the kFinished event has been taken.
  bool done() const;
  // True once the kFinished event has been delivered (taken or not).
  bool finished() const;

  // Asks the engine to end the request (idempotent; nothing happens once it has finished).
  void Cancel();

 private:
  std::shared_ptr<internal::RequestChannel> channel_;
};

}  // namespace tokenfab::engine
