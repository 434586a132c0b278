// HttpClient: an asynchronous HTTP/1.1 client for upstream servers, over http:// or https://
// (TLS: the server's chain and host name verified, see TlsClientOptions; a failed check fails
// the call with Unavailable and is logged, never a plaintext fallback). Keep-alive
// connections are pooled per upstream and per I/O loop; a call started on one of the pool's
// loops (e.g. inside a server handler) runs on that loop, so a relay never hops threads. Response
// bodies stream to a callback as they arrive (chunked coding removed), with Pause()/Resume() for
// backpressure; a call can be cancelled at any time, which closes its upstream connection (the
// upstream sees the disconnect and stops its work).
//
// Callbacks run on the call's I/O loop, one at a time, and must not block. A reused idle
// connection that fails before any response byte (the upstream closed it meanwhile) is retried
// once on a fresh connection.
//
// Thread-safe. REQUIRES: the IoContextPool outlives the client; the client is destroyed off the
// pool's threads. Calls still running when the client is destroyed run to completion.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/net/cancellation.h"
#include "tokenfab/net/http_message.h"
#include "tokenfab/net/http_url.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/net/sse.h"
#include "tokenfab/net/tls_options.h"

namespace tokenfab::net {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  // From the request sent to the response head received (e.g. an LLM's prefill); 0: none.
  std::chrono::milliseconds response_timeout{0};
  // Longest silence between two reads of the body; 0: none.
  std::chrono::milliseconds read_idle_timeout{0};
  // The whole call, connect to last byte; 0: none.
  std::chrono::milliseconds total_timeout{0};
  size_t max_response_header_bytes = 64 << 10;
  size_t max_response_body_bytes = 64 << 20;    // Fetch() only: streams are not accumulated
  int max_idle_connections_per_upstream = 256;  // per upstream, per loop
  std::chrono::milliseconds idle_connection_ttl{30'000};
  TlsClientOptions tls;  // for https:// URLs
};

struct ClientRequest {
  std::string method = "GET";
  HttpUrl url;          // host, port and target
  HttpHeaders headers;  // Host, Content-Length and Connection are added by the client
  std::string body;
  // Cancelling this token cancels the call (e.g. the downstream client's token in a relay).
  CancellationToken cancellation;
  int loop = -1;  // the I/O loop to run on; -1: the caller's loop when on one, else round-robin
};

struct StreamCallbacks {
  // Once, when the response head has arrived.
  std::function<void(int status, const HttpHeaders& headers)> on_head;
  // For each piece of body as it arrives; the view is valid during the call only.
  std::function<void(std::string_view data)> on_data;
  // Exactly once, last: OK when the body ended normally, otherwise why the call failed
  // (Unavailable: resolve/connect/send failed; DeadlineExceeded: a timeout; Cancelled; DataLoss:
  // malformed response or connection closed mid-body; ResourceExhausted: a size limit).
  std::function<void(Status status)> on_done;
};

// Callbacks that parse the body as server-sent events (incrementally, across reads) and hand
// over whole events. An event past `max_event_bytes` makes on_done report ResourceExhausted
// (the rest of the body is ignored); an event cut off by the end of the body is dropped, as the
// SSE standard says. The status in on_head tells whether the body is a stream at all.
StreamCallbacks SseCallbacks(std::function<void(int status, const HttpHeaders& headers)> on_head,
                             std::function<void(SseEvent&& event)> on_event,
                             std::function<void(Status status)> on_done,
                             size_t max_event_bytes = 16 << 20);

namespace internal {
struct CallState;
}  // namespace internal

// A handle to one call in flight. Thread-safe; holding it does not keep the call running.
class ClientCall {
 public:
  explicit ClientCall(std::shared_ptr<internal::CallState> state);
  // Stops the call and closes its connection; on_done gets Cancelled unless it already ran.
  void Cancel();
  // Stops reading the body until Resume() (TCP flow control then slows the upstream).
  void Pause();
  void Resume();
  bool done() const;

 private:
  std::shared_ptr<internal::CallState> state_;
};

struct HttpClientStats {
  int64_t calls = 0;
  int64_t connections_opened = 0;
  int64_t connections_reused = 0;
  int64_t retries = 0;  // reused connections found dead and replaced
};

class HttpClient {
 public:
  explicit HttpClient(IoContextPool& pool, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a call whose body streams to `callbacks`.
  std::shared_ptr<ClientCall> Stream(ClientRequest request, StreamCallbacks callbacks);
  // Starts a call and delivers the whole response (body up to max_response_body_bytes).
  std::shared_ptr<ClientCall> Fetch(ClientRequest request,
                                    std::function<void(StatusOr<HttpResponse>)> done);
  // Fetch() and wait. REQUIRES: not called on one of the pool's threads.
  [[nodiscard]] StatusOr<HttpResponse> FetchBlocking(ClientRequest request);

  HttpClientStats stats() const;
  // OK when https:// calls can be made; else why not (a TLS file that does not load), which
  // every https call then fails with.
  Status tls_status() const;

  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace tokenfab::net
