// HttpExchange: one request being served, and the way to answer it. The server creates one per
// request and hands it to the route's handler, which answers
//   - whole:     Respond(response); or
//   - streaming: StartStream(...) or StartSse(), then Write()/WriteSse() any number of times, then
//                Finish(). The body goes out with chunked transfer coding (HTTP/1.1), each write
//                flushed as soon as the socket is free; writes made while the socket is busy are
//                sent together in the next chunk.
// cancellation() fires when the client disconnects (promptly: the server keeps a read pending on
// the socket while the handler works), when the request's time limit passes, or when the server
// stops. A handler should subscribe to it, stop the work and release what it holds.
//
// Ownership: the handler holds the exchange through a shared_ptr and may keep it as long as it
// likes, also after the connection is gone (every call then returns Cancelled). Dropping the last
// reference without answering makes the server answer 500; dropping it mid-stream without
// Finish() aborts the connection, so the client sees a truncated body rather than a clean end.
//
// Thread-safe: every method may be called from any thread (e.g. the engine thread producing
// tokens); the bytes reach the connection's own I/O thread through a queue. Backpressure:
// buffered_bytes() counts bytes written but not yet on the socket; a producer that cares (a
// relay) pauses above a high-water mark and resumes from OnDrained().
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/net/cancellation.h"
#include "tokenfab/net/http_message.h"
#include "tokenfab/net/sse.h"

namespace tokenfab::net {

namespace internal {
struct ExchangeState;
}  // namespace internal

class HttpExchange {
 public:
  // Made by the server only (the state type is internal to the net layer).
  explicit HttpExchange(std::shared_ptr<internal::ExchangeState> state);
  ~HttpExchange();
  HttpExchange(const HttpExchange&) = delete;
  HttpExchange& operator=(const HttpExchange&) = delete;

  // The request; immutable, valid for the exchange's lifetime.
  const HttpRequest& request() const;
  CancellationToken cancellation() const;
  bool cancelled() const;
  // The I/O loop (IoContextPool index) of the connection: start client calls on it to stay on
  // this thread.
  int loop() const;
  // When the request head had been read (base::Clock microseconds of the server's clock).
  int64_t arrival_micros() const;

  // Answers with a whole response. FailedPrecondition when an answer was already started,
  // Cancelled when the exchange is cancelled (the client will not see it).
  Status Respond(HttpResponse response);

  // Starts a streamed response with `status` and `headers` (the server adds the framing fields).
  Status StartStream(int status, HttpHeaders headers);
  // StartStream(200, ...) with `Content-Type: text/event-stream`, `Cache-Control: no-cache` and
  // `X-Accel-Buffering: no` (so proxies pass events through at once), plus `extra` fields.
  Status StartSse(HttpHeaders extra = {});
  // Queues body bytes. FailedPrecondition unless streaming, Cancelled once cancelled,
  // ResourceExhausted (and nothing queued) when the buffer would pass the server's
  // max_stream_buffer_bytes: the client is not reading fast enough.
  Status Write(std::string_view data);
  Status WriteSse(const SseEvent& event);
  Status WriteSseData(std::string_view data);
  // Ends the streamed body after the queued bytes. FailedPrecondition unless streaming.
  Status Finish();

  // Bytes queued by Write() and not yet written to the socket.
  size_t buffered_bytes() const;
  // Calls `callback` once, on the I/O thread, when buffered_bytes() falls to the server's
  // stream_low_water_bytes or below, or when the exchange ends for any reason; at once, on this
  // thread, when that is already so.
  void OnDrained(std::function<void()> callback);

 private:
  std::shared_ptr<internal::ExchangeState> state_;
};

}  // namespace tokenfab::net
