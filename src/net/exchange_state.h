// ExchangeState: what an HttpExchange (the handler's side) and the server's connection share
// about one request. No Boost types: the connection installs a `waker` that posts to its loop.
//
// Thread-safety: the fields under `mu` are shared by the producer (any thread) and the
// connection (its I/O thread); the rest is immutable after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "tokenfab/net/cancellation.h"
#include "tokenfab/net/http_message.h"

namespace tokenfab::net::internal {

// The answer's progress, as the handler drives it. Changed only through Transition().
enum class AnswerStage {
  kNone,       // no answer yet
  kWhole,      // Respond() queued a whole response
  kStreaming,  // StartStream() called; Write() may add bytes
  kFinished,   // Finish() called: the body ends after the queued bytes
  kAbandoned,  // the handler dropped the exchange without completing its answer
};

struct ExchangeState {
  ExchangeState(HttpRequest request_in, int loop_in, int64_t arrival_micros_in,
                size_t max_buffered_bytes_in, size_t low_water_bytes_in)
      : request(std::move(request_in)),
        loop(loop_in),
        arrival_micros(arrival_micros_in),
        max_buffered_bytes(max_buffered_bytes_in),
        low_water_bytes(low_water_bytes_in) {}

  // Moves the stage forward; TF_CHECKs that the step is one of the allowed ones.
  // REQUIRES: mu held.
  void Transition(AnswerStage to);
  // Posts a wake to the connection if it is waiting for news. REQUIRES: mu held.
  void WakeLocked();
  // Detaches the connection: no more wakes; drain callbacks are returned to be run (outside the
  // lock). REQUIRES: mu held.
  std::vector<std::function<void()>> DetachLocked();

  const HttpRequest request;
  const int loop;
  const int64_t arrival_micros;
  const size_t max_buffered_bytes;
  const size_t low_water_bytes;
  CancellationSource cancel;

  std::mutex mu;
  AnswerStage stage = AnswerStage::kNone;  // guarded by mu
  std::optional<HttpResponse> response;    // guarded by mu; kWhole until taken
  int stream_status = 200;                 // guarded by mu
  HttpHeaders stream_headers;              // guarded by mu
  std::string pending;                     // guarded by mu; stream bytes not yet taken
  size_t in_flight = 0;                    // guarded by mu; taken, being written
  bool attached = true;                    // guarded by mu; the connection still serves it
  bool connection_waiting = false;         // guarded by mu; it waits for a wake
  std::function<void()> waker;             // guarded by mu; posts a wake to the loop
  std::vector<std::function<void()>> drain_callbacks;  // guarded by mu
};

}  // namespace tokenfab::net::internal
