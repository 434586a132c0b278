// NodeServer: one model behind the OpenAI-compatible HTTP API, what `tokenfab node` runs and
// what `tokenfab serve` embeds:
//
//   POST /v1/completions, /v1/chat/completions   generation, streamed (SSE) or whole
//   GET  /v1/models, /v1/models/{id}              the served model
//   GET  /health                                  200 ready; 503 while loading or stopping
//   GET  /metrics                                 Prometheus text (vLLM's names under tokenfab:)
//   GET  /load                                    the load snapshot gateways route on
//   POST /drain, GET /drain                       drain by request; its state (drain_handler.h)
//
// Life cycle: Start() binds and answers at once (health 503 "loading"); Serve() hands it the
// loaded ModelHost and it becomes ready; Stop() refuses new work, lets streams finish for a grace
// period, cancels the rest, and shuts the engine down.
//
// Threads: HTTP on an IoContextPool (one loop per core by default; handlers never block); the
// engine on its own thread(s); a small pool of stream threads that takes the engine's events
// and writes them to the clients, so the engine thread never formats or waits on a socket. A
// client that goes away cancels its request, which frees its KV blocks at the next step.
//
// Ownership: owns the HTTP server, the metrics registry, the ModelHost handed to Serve() and
// every request in flight. Thread-safe: every method may be called from any thread but the
// server's own loops.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "tokenfab/api/completion_request.h"
#include "tokenfab/api/prefix_key.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/status.h"
#include "tokenfab/net/io_context_pool.h"
#include "tokenfab/net/tls_options.h"
#include "tokenfab/node/model_host.h"

namespace tokenfab::node {

struct NodeOptions {
  std::string host = "127.0.0.1";      // address to bind
  uint16_t port = 0;                   // 0: an ephemeral port (see port())
  int io_threads = 0;                  // HTTP loops; 0: one per core
  net::IoContextPool* pool = nullptr;  // run on these loops instead (shared with a gateway)
  int stream_threads = 1;              // threads that turn engine events into HTTP writes

  // Bearer token required on /v1/* (401 otherwise); empty: no check.
  std::string api_key;
  // Bearer token required on the operations routes /load and /metrics (api/operator_auth.h;
  // 401 otherwise); empty: they answer anyone.
  std::string operator_token;
  // Keys the prefix-cache block hashes /load publishes (api/prefix_key.h); the gateways that
  // route by prefix to this node must hold the same secret. Unset: a random key drawn at Start().
  std::optional<api::PrefixKey> prefix_key;

  // Transport limits (see net::HttpServerOptions).
  size_t max_body_bytes = 8 << 20;                     // over: 413
  size_t max_header_bytes = 16 << 10;                  // over: 431
  int max_connections = 10000;                         // over: 503 with Retry-After
  std::chrono::milliseconds idle_timeout{60'000};      // keep-alive wait for a request
  std::chrono::milliseconds read_timeout{30'000};      // receiving one request
  std::chrono::milliseconds write_timeout{30'000};     // a client not reading its stream
  std::chrono::milliseconds request_timeout{600'000};  // one request, start to end; 0: none

  api::RequestLimits request_limits;
  int loading_retry_after_s = 5;  // Retry-After of the 503 answered while loading

  // HTTPS when tls.enabled(); mutual TLS (only gateways with a certificate from the CA) when
  // tls.client_ca_file is set.
  net::TlsServerOptions tls;

  // Drain by request: called once, on an HTTP loop (it must not block), when an operator first
  // POSTs /drain; the owner then drains (Drain(), ReportDrained()). Unset: /drain answers 501.
  std::function<void()> on_drain;
};

class NodeContext;  // what the node's requests share (src/node/node_context.h)

class NodeServer {
 public:
  // Binds and starts answering (not ready until Serve()); requests are timed with `clock`, which
  // it borrows: it must outlive the server. Errors: the address, the port.
  [[nodiscard]] static StatusOr<std::unique_ptr<NodeServer>> Start(const NodeOptions& options,
                                                                   base::Clock& clock);
  // Stop() with no grace period when still running.
  ~NodeServer();
  NodeServer(const NodeServer&) = delete;
  NodeServer& operator=(const NodeServer&) = delete;

  // The registry the engine's metrics go to: pass it to ModelHost::Load().
  base::MetricsRegistry& metrics_registry();
  // The clock requests are timed with (for ModelHost::Load()).
  base::Clock& clock();

  // Starts serving `host`. REQUIRES: called once, before Stop().
  void Serve(std::unique_ptr<ModelHost> host);
  bool ready() const;

  uint16_t port() const;
  std::string address() const;  // "host:port" as bound
  // Loads the TLS certificate and key again for new connections (SIGHUP); on error the old ones
  // stay. FailedPrecondition without TLS.
  [[nodiscard]] Status ReloadTls();

  // Refuses new requests (503), lets requests in progress finish for up to `grace`, cancels
  // the rest, shuts the engine down and closes every connection. Idempotent.
  void Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(0));

  // Draining without stopping, so that the operations routes still answer (POST /drain's
  // caller polls GET /drain): new completion requests get 503 "draining" from now on, and
  // those in progress have up to `grace` to finish. Returns how many were still in progress.
  size_t Drain(std::chrono::milliseconds grace);
  // GET /drain says "drained" from now on (call it once the node has also left the registry);
  // waits until a GET /drain has said so, at most `linger`, so that the caller waiting for it
  // sees it before the node goes. True when one did.
  bool ReportDrained(std::chrono::milliseconds linger);

 private:
  explicit NodeServer(std::shared_ptr<NodeContext> context);
  std::shared_ptr<NodeContext> context_;
};

}  // namespace tokenfab::node
