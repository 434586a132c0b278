// HttpServer: an HTTP/1.1 server on Boost.Beast with C++20 coroutines. Keep-alive, pipelined
// requests (answered in order), limits on header and body size, timeouts (idle keep-alive,
// reading a request, a stalled write, and an optional total time per request), streamed
// responses (SSE), prompt cancellation when a client goes away, graceful stop.
//
// Threads: the connections run on an IoContextPool's loops (the server's own, or one shared with
// an HttpClient); the acceptor spreads them, fewest open connections first. Handlers run on the
// connection's loop and must not block (see router.h, http_exchange.h).
//
// Errors the server answers itself (in the format `error_responder` gives, plain text by
// default): 400 malformed request, 404 no route, 405 wrong method (with Allow), 408 request not
// received in time, 413 body too large, 431 header too large, 500 handler dropped the request,
// 503 over max_connections (with Retry-After) or past the request's time limit.
//
// Thread-safe: port(), stats and Stop() may be called from any thread but the pool's own.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/net/http_message.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/net/router.h"
#include "tokenfab/net/tls_options.h"

namespace tokenfab::net {

// Formats the body of an error the server answers itself (status, human-readable message).
using ErrorResponder = std::function<HttpResponse(int status, std::string_view message)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";  // address to bind ("0.0.0.0", "::", a name resolving to one)
  uint16_t port = 0;               // 0: an ephemeral port (see HttpServer::port())
  // The loops to run on; null: the server starts its own pool of `io_threads` (0: one per core).
  IoContextPool* pool = nullptr;
  int io_threads = 0;

  size_t max_header_bytes = 16 << 10;  // request line + header fields; over: 431
  size_t max_body_bytes = 8 << 20;     // request body; over: 413 (before reading it)
  int max_connections = 10000;         // open at once; over: 503 with Retry-After, closed

  // Time limits (0 turns one off).
  std::chrono::milliseconds idle_timeout{60'000};   // keep-alive connection waiting for a request
  std::chrono::milliseconds read_timeout{30'000};   // first byte to last byte of a request; 408
  std::chrono::milliseconds write_timeout{30'000};  // one write blocked by a client not reading
  std::chrono::milliseconds request_timeout{0};     // handler start to last byte of the answer

  size_t max_stream_buffer_bytes = 4 << 20;  // per stream, see HttpExchange::Write
  size_t stream_low_water_bytes = 16 << 10;  // see HttpExchange::OnDrained

  // After an error answered before the whole request was read (413, 431, 400, 408), the server
  // stops sending and reads and discards what the client still sends, up to these limits,
  // before closing: closing at once would reset the connection and the client would see a
  // broken pipe instead of the answer. It stops early when the client is silent for
  // linger_idle_timeout (it has finished sending, or is gone).
  std::chrono::milliseconds linger_timeout{5'000};
  std::chrono::milliseconds linger_idle_timeout{500};
  size_t max_linger_bytes = 256 << 20;

  // HTTPS when tls.enabled(); mutual TLS when tls.client_ca_file is set too.
  TlsServerOptions tls;

  std::string server_name = "tokenfab";  // the `Server` field; empty for none
  ErrorResponder error_responder;        // null: plain text
};

// Counters, for tests and /metrics. Monotonic except the `open_` ones.
struct HttpServerStats {
  int64_t connections_accepted = 0;
  int64_t connections_open = 0;
  int64_t requests = 0;            // requests read and dispatched (or answered with an error)
  int64_t requests_open = 0;       // being served right now
  int64_t client_disconnects = 0;  // exchanges cancelled because the client went away
  int64_t errors_4xx = 0;          // errors the server answered itself
  int64_t errors_5xx = 0;
};

class HttpServer {
 public:
  // Binds, listens and starts accepting. Errors: the address does not resolve, the port is
  // taken, or the options are invalid. `clock` (for HttpExchange::arrival_micros) must outlive
  // the server.
  [[nodiscard]] static StatusOr<std::unique_ptr<HttpServer>> Start(
      HttpServerOptions options, Router router, base::Clock& clock = base::RealClock::Get());
  // Stop()s with a zero grace period when still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the ephemeral one when options.port was 0).
  uint16_t port() const;
  // "host:port" as bound, e.g. "127.0.0.1:43817".
  std::string address() const;
  HttpServerStats stats() const;

  // Loads the TLS certificate, key and client CA files again (e.g. on SIGHUP); connections
  // accepted afterwards use them, open ones keep theirs. On error the old ones stay in use.
  // FailedPrecondition when the server does not serve TLS.
  [[nodiscard]] Status ReloadTls();

  // Stops accepting, closes idle keep-alive connections, lets requests in progress finish for
  // up to `grace`, then cancels the rest (their handlers see kServerStopping) and closes every
  // connection. Returns when all are closed; stops the server's own pool. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

  class Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::net
