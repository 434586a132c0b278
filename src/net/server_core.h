// ServerCore: what every connection of one HttpServer shares: options, routes, the pool, the
// counters, and the registry of open connections per loop (for Stop()). Internal to the net layer.
//
// Thread-safety: options, router and pool are immutable after start; the counters are atomics;
// each loop's registry is touched only on that loop's thread; `draining` is atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "absl/synchronization/mutex.h"

#include <boost/asio/ssl/context.hpp>

#include "io_context_pool_internal.h"
#include "tokenfab/net/http_server.h"

namespace tokenfab::net {

class ServerConnection;

struct ServerCore {
  ServerCore(HttpServerOptions options_in, Router router_in, IoContextPool::Impl* pool_in,
             base::Clock& clock_in);

  // The error answer the server gives itself, in the configured format. Counts it.
  HttpResponse ErrorResponse(int status, std::string_view message);

  // Connection registry: called on the connection's own loop thread.
  void Register(int loop, ServerConnection* connection);
  void Unregister(int loop, ServerConnection* connection);
  // Counts a connection as closed (its object is gone). Any thread.
  void ConnectionClosed();
  // Blocks until no connection is open or `timeout` passes; true when none is open.
  bool WaitForNoConnections(std::chrono::milliseconds timeout);

  // The TLS context new connections use; null when the server speaks plain HTTP. Any thread.
  std::shared_ptr<asio::ssl::context> tls_context() const;
  void set_tls_context(std::shared_ptr<asio::ssl::context> context);

  const HttpServerOptions options;
  const Router router;
  IoContextPool::Impl* const pool;
  base::Clock* const clock;

  std::atomic<bool> draining{false};  // stop accepting new requests on kept-alive connections

  std::atomic<int64_t> connections_accepted{0};
  std::atomic<int64_t> connections_open{0};
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> requests_open{0};
  std::atomic<int64_t> client_disconnects{0};
  std::atomic<int64_t> errors_4xx{0};
  std::atomic<int64_t> errors_5xx{0};

  // connections[loop]: the open connections of that loop; only its thread touches the set.
  std::vector<std::unordered_set<ServerConnection*>> connections;

 private:
  mutable absl::Mutex tls_mu_;
  std::shared_ptr<asio::ssl::context> tls_context_ ABSL_GUARDED_BY(tls_mu_);
  absl::Mutex open_mu_;
  absl::CondVar open_cv_;  // notified when connections_open drops to zero
};

}  // namespace tokenfab::net
