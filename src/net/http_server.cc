#include "tokenfab/net/http_server.h"

#include <future>
#include <optional>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "absl/synchronization/mutex.h"

#include "coroutines.h"
#include "http_wire.h"
#include "io_context_pool_internal.h"
#include "server_connection.h"
#include "server_core.h"
#include "tls_context.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::net {
namespace {

using asio::ip::tcp;
using boost::system::error_code;

using internal::kToken;
// How long Stop() waits for aborted connections to wind down before stopping the loops anyway.
constexpr std::chrono::milliseconds kAbortWait{5000};

HttpResponse DefaultErrorResponse(int status, std::string_view message) {
  return HttpResponse::Text(status,
                            fmt::format("{} {}: {}\n", status, StatusReason(status), message));
}

Status ValidateOptions(const HttpServerOptions& options) {
  if (options.max_header_bytes < 256) {
    return absl::InvalidArgumentError("max_header_bytes must be at least 256");
  }
  if (!options.tls.client_ca_file.empty() && !options.tls.enabled()) {
    return absl::InvalidArgumentError("a TLS client CA needs a server certificate and key");
  }
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("max_connections must be at least 1");
  }
  if (options.stream_low_water_bytes > options.max_stream_buffer_bytes) {
    return absl::InvalidArgumentError(
        "stream_low_water_bytes must not exceed max_stream_buffer_bytes");
  }
  return absl::OkStatus();
}

}  // namespace

ServerCore::ServerCore(HttpServerOptions options_in, Router router_in, IoContextPool::Impl* pool_in,
                       base::Clock& clock_in)
    : options(std::move(options_in)),
      router(std::move(router_in)),
      pool(pool_in),
      clock(&clock_in),
      connections(pool_in->size()) {}

HttpResponse ServerCore::ErrorResponse(int status, std::string_view message) {
  if (status >= 500) {
    errors_5xx.fetch_add(1, std::memory_order_relaxed);
  } else if (status >= 400) {
    errors_4xx.fetch_add(1, std::memory_order_relaxed);
  }
  return options.error_responder ? options.error_responder(status, message)
                                 : DefaultErrorResponse(status, message);
}

void ServerCore::Register(int loop, ServerConnection* connection) {
  connections[loop].insert(connection);
}

void ServerCore::Unregister(int loop, ServerConnection* connection) {
  connections[loop].erase(connection);
}

bool ServerCore::WaitForNoConnections(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  absl::MutexLock lock(&open_mu_);
  while (connections_open.load(std::memory_order_acquire) != 0) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return false;
    open_cv_.WaitWithTimeout(&open_mu_, absl::FromChrono(left));
  }
  return true;
}

std::shared_ptr<asio::ssl::context> ServerCore::tls_context() const {
  absl::MutexLock lock(&tls_mu_);
  return tls_context_;
}

void ServerCore::set_tls_context(std::shared_ptr<asio::ssl::context> context) {
  absl::MutexLock lock(&tls_mu_);
  tls_context_ = std::move(context);
}

void ServerCore::ConnectionClosed() {
  if (connections_open.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    absl::MutexLock lock(&open_mu_);
    open_cv_.SignalAll();
  }
}

class HttpServer::Impl {
 public:
  Impl(std::unique_ptr<IoContextPool> own_pool, IoContextPool::Impl* pool,
       std::shared_ptr<ServerCore> core)
      : own_pool_(std::move(own_pool)),
        pool_(pool),
        core_(std::move(core)),
        acceptor_(pool->context(0)),
        retry_timer_(pool->context(0)) {}

  Status Listen();
  void StartAccepting();
  void Stop(std::chrono::milliseconds grace);

  uint16_t port() const { return port_; }
  const std::string& address() const { return address_; }
  const ServerCore& core() const { return *core_; }
  ServerCore& mutable_core() { return *core_; }

 private:
  asio::awaitable<void> AcceptLoop();
  void Admit(tcp::socket socket, int loop);
  // Runs `fn(loop)` on every loop's thread and waits for all of them.
  void RunOnEveryLoop(const std::function<void(int loop)>& fn);

  std::unique_ptr<IoContextPool> own_pool_;  // null when the pool is shared
  IoContextPool::Impl* pool_;
  std::shared_ptr<ServerCore> core_;
  tcp::acceptor acceptor_;          // on loop 0
  asio::steady_timer retry_timer_;  // backs off when accept fails (e.g. out of descriptors)
  uint16_t port_ = 0;
  std::string address_;
  std::promise<void> accept_done_;
  bool accepting_ = false;
  bool stopped_ = false;
};

Status HttpServer::Impl::Listen() {
  const HttpServerOptions& options = core_->options;
  error_code ec;
  tcp::resolver resolver(pool_->context(0));
  const auto results =
      resolver.resolve(options.host, std::to_string(options.port),
                       tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    return absl::InvalidArgumentError(
        fmt::format("cannot resolve listen address '{}': {}", options.host, ec.message()));
  }
  const tcp::endpoint endpoint = results.begin()->endpoint();
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) {
    return absl::InternalError(fmt::format("cannot open a socket: {}", ec.message()));
  }
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("cannot bind {}:{}: {}", options.host, options.port, ec.message()));
  }
  acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("cannot listen on {}:{}: {}", options.host, options.port, ec.message()));
  }
  const tcp::endpoint bound = acceptor_.local_endpoint(ec);
  if (ec) return absl::InternalError(fmt::format("cannot read the bound port: {}", ec.message()));
  port_ = bound.port();
  address_ = bound.address().is_v6() ? fmt::format("[{}]:{}", bound.address().to_string(), port_)
                                     : fmt::format("{}:{}", bound.address().to_string(), port_);
  return absl::OkStatus();
}

void HttpServer::Impl::StartAccepting() {
  accepting_ = true;
  asio::co_spawn(pool_->context(0), AcceptLoop(), [this](std::exception_ptr error) {
    if (error) TF_LOG_ERROR("net: the accept loop failed");
    accept_done_.set_value();
  });
}

asio::awaitable<void> HttpServer::Impl::AcceptLoop() {
  while (acceptor_.is_open()) {
    const int loop = pool_->LeastLoaded();
    auto [ec, socket] = co_await acceptor_.async_accept(pool_->context(loop), kToken);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) break;
      // Out of descriptors or memory: back off briefly rather than spin.
      TF_LOG_WARN("net: accept failed: {}", ec.message());
      retry_timer_.expires_after(std::chrono::milliseconds(20));
      co_await retry_timer_.async_wait(kToken);
      continue;
    }
    Admit(std::move(socket), loop);
  }
}

void HttpServer::Impl::Admit(tcp::socket socket, int loop) {
  error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  core_->connections_accepted.fetch_add(1, std::memory_order_relaxed);
  std::shared_ptr<asio::ssl::context> tls = core_->tls_context();
  if (core_->connections_open.load(std::memory_order_relaxed) >= core_->options.max_connections &&
      tls != nullptr) {
    socket.close(ec);  // no plaintext answer on a TLS port
    return;
  }
  if (core_->connections_open.load(std::memory_order_relaxed) >= core_->options.max_connections) {
    // Over the limit: a short 503 and close. The write is small enough for an empty send buffer.
    HttpResponse response = core_->ErrorResponse(503, "too many open connections");
    response.headers.Set("Retry-After", "1");
    std::string out;
    ResponseHead head;
    head.status = 503;
    head.headers = &response.headers;
    head.content_length = response.body.size();
    head.keep_alive = false;
    head.server_name = core_->options.server_name;
    AppendResponseHead(head, out);
    out.append(response.body);
    asio::write(socket, asio::buffer(out), ec);
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
    return;
  }
  core_->connections_open.fetch_add(1, std::memory_order_acq_rel);
  pool_->connection_count(loop).fetch_add(1, std::memory_order_relaxed);
  std::make_shared<ServerConnection>(core_, std::move(socket), std::move(tls), loop)->Start();
}

void HttpServer::Impl::RunOnEveryLoop(const std::function<void(int loop)>& fn) {
  if (pool_->stopped()) return;  // misuse (pool stopped first): nothing runs any more
  std::vector<std::future<void>> done;
  for (int loop = 0; loop < pool_->size(); ++loop) {
    auto promise = std::make_shared<std::promise<void>>();
    done.push_back(promise->get_future());
    asio::post(pool_->context(loop), [promise, loop, &fn] {
      fn(loop);
      promise->set_value();
    });
  }
  for (auto& future : done) future.wait();
}

void HttpServer::Impl::Stop(std::chrono::milliseconds grace) {
  if (stopped_) return;
  stopped_ = true;
  core_->draining.store(true, std::memory_order_relaxed);
  RunOnEveryLoop([this](int loop) {
    if (loop == 0) {
      error_code ec;
      acceptor_.close(ec);
      retry_timer_.cancel();
    }
    // Copy: closing a connection may end it and unregister it while we iterate.
    const std::vector<ServerConnection*> connections(core_->connections[loop].begin(),
                                                     core_->connections[loop].end());
    for (ServerConnection* connection : connections) connection->CloseIfIdle();
  });
  if (accepting_ && !pool_->stopped()) accept_done_.get_future().wait();
  if (!core_->WaitForNoConnections(grace)) {
    RunOnEveryLoop([this](int loop) {
      const std::vector<ServerConnection*> connections(core_->connections[loop].begin(),
                                                       core_->connections[loop].end());
      for (ServerConnection* connection : connections) connection->Abort();
    });
    if (!core_->WaitForNoConnections(kAbortWait)) {
      TF_LOG_WARN("net: {} connections still open after stop",
                  core_->connections_open.load(std::memory_order_relaxed));
    }
  }
  if (own_pool_ != nullptr) own_pool_->Stop();
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Router router,
                                                        base::Clock& clock) {
  TF_RETURN_IF_ERROR(ValidateOptions(options));
  std::unique_ptr<IoContextPool> own_pool;
  IoContextPool* pool = options.pool;
  if (pool == nullptr) {
    own_pool = std::make_unique<IoContextPool>(options.io_threads);
    pool = own_pool.get();
  }
  std::shared_ptr<asio::ssl::context> tls;
  if (options.tls.enabled()) {
    TF_ASSIGN_OR_RETURN(tls, internal::MakeServerTlsContext(options.tls));
  }
  auto core =
      std::make_shared<ServerCore>(std::move(options), std::move(router), &pool->impl(), clock);
  core->set_tls_context(std::move(tls));
  auto impl = std::make_unique<Impl>(std::move(own_pool), &pool->impl(), std::move(core));
  TF_RETURN_IF_ERROR(impl->Listen());
  impl->StartAccepting();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { impl_->Stop(std::chrono::milliseconds(0)); }

uint16_t HttpServer::port() const { return impl_->port(); }

std::string HttpServer::address() const { return impl_->address(); }

HttpServerStats HttpServer::stats() const {
  const ServerCore& core = impl_->core();
  HttpServerStats stats;
  stats.connections_accepted = core.connections_accepted.load(std::memory_order_relaxed);
  stats.connections_open = core.connections_open.load(std::memory_order_relaxed);
  stats.requests = core.requests.load(std::memory_order_relaxed);
  stats.requests_open = core.requests_open.load(std::memory_order_relaxed);
  stats.client_disconnects = core.client_disconnects.load(std::memory_order_relaxed);
  stats.errors_4xx = core.errors_4xx.load(std::memory_order_relaxed);
  stats.errors_5xx = core.errors_5xx.load(std::memory_order_relaxed);
  return stats;
}

void HttpServer::Stop(std::chrono::milliseconds grace) { impl_->Stop(grace); }

Status HttpServer::ReloadTls() {
  const ServerCore& core = impl_->core();
  if (!core.options.tls.enabled()) {
    return absl::FailedPreconditionError("the server does not serve TLS");
  }
  TF_ASSIGN_OR_RETURN(std::shared_ptr<asio::ssl::context> tls,
                      internal::MakeServerTlsContext(core.options.tls));
  impl_->mutable_core().set_tls_context(std::move(tls));
  return absl::OkStatus();
}

}  // namespace tokenfab::net
