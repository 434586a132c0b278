// ExchangeState: what an HttpExchange (the handler's side) and the server's connection share
// about one request. No Boost types: the connection installs a `waker` that posts to its loop.
//
// Thread-safety: the fields under `mu` are shared by the producer (any thread) and the
// connection (its I/O thread); the rest is immutable after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"

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
  void Transition(AnswerStage to) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Posts a wake to the connection if it is waiting for news.
  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Detaches the connection: no more wakes; drain callbacks are returned to be run (outside the
  // lock).
  std::vector<std::function<void()>> DetachLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  const HttpRequest request;
  const int loop;
  const int64_t arrival_micros;
  const size_t max_buffered_bytes;
  const size_t low_water_bytes;
  CancellationSource cancel;

  absl::Mutex mu;
  AnswerStage stage ABSL_GUARDED_BY(mu) = AnswerStage::kNone;
  std::optional<HttpResponse> response ABSL_GUARDED_BY(mu);  // kWhole until taken
  int stream_status ABSL_GUARDED_BY(mu) = 200;
  HttpHeaders stream_headers ABSL_GUARDED_BY(mu);
  std::string pending ABSL_GUARDED_BY(mu);              // stream bytes not yet taken
  size_t in_flight ABSL_GUARDED_BY(mu) = 0;             // taken, being written
  bool attached ABSL_GUARDED_BY(mu) = true;             // the connection still serves it
  bool connection_waiting ABSL_GUARDED_BY(mu) = false;  // it waits for a wake
  std::function<void()> waker ABSL_GUARDED_BY(mu);      // posts a wake to the loop
  std::vector<std::function<void()>> drain_callbacks ABSL_GUARDED_BY(mu);
};

}  // namespace tokenfab::net::internal
