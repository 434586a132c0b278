#include "server_connection.h"

#include <algorithm>
#include <array>
#include <ctime>
#include <exception>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "absl/synchronization/mutex.h"

#include "coroutines.h"
#include "http_wire.h"
#include "tls_context.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/net/http_exchange.h"

namespace tokenfab::net {
namespace {

namespace http = boost::beast::http;
using boost::system::error_code;
using internal::AnswerStage;
using internal::ExchangeState;

using internal::kToken;
using internal::Transport;
using internal::WasCancelled;
// Pipelined request bytes read ahead while a handler works; past this the connection stops reading
// (and so stops noticing a disconnect) until the answer is done.
constexpr size_t kMaxReadAheadBytes = 64 << 10;

std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint) {
  if (endpoint.address().is_v6()) {
    return fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port());
  }
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

ServerConnection::ServerConnection(std::shared_ptr<ServerCore> core, asio::ip::tcp::socket socket,
                                   std::shared_ptr<asio::ssl::context> tls, int loop)
    : core_(std::move(core)),
      stream_(tls != nullptr ? std::make_unique<Transport>(std::move(socket), std::move(tls))
                             : std::make_unique<Transport>(std::move(socket))),
      loop_(loop),
      loop_connections_(core_->pool->connection_count(loop)),
      watchdog_timer_(stream_->get_executor(), Clock::time_point::max()),
      wake_timer_(stream_->get_executor(), Clock::time_point::max()) {
  error_code ec;
  const asio::ip::tcp::endpoint remote = stream_->socket().remote_endpoint(ec);
  if (!ec) remote_address_ = FormatEndpoint(remote);
}

ServerConnection::~ServerConnection() {
  if (registered_) core_->Unregister(loop_, this);
  loop_connections_.fetch_sub(1, std::memory_order_relaxed);
  core_->ConnectionClosed();
}

void ServerConnection::Start() {
  asio::co_spawn(
      stream_->get_executor(), [self = shared_from_this()] { return self->Run(); },
      internal::LogEscaped("server connection"));
}

void ServerConnection::CloseIfIdle() {
  if (phase_ == Phase::kIdle) Close();
}

void ServerConnection::Abort() {
  if (exchange_ != nullptr) CancelExchange(*exchange_, CancelReason::kServerStopping);
  Close();
}

void ServerConnection::CancelExchange(ExchangeState& state, CancelReason reason) {
  // Only this loop cancels the exchange, so checking first is not racy; counting before the
  // callbacks run keeps the stats in step with what handlers observe.
  if (state.cancel.cancelled()) return;
  if (reason == CancelReason::kClientDisconnected) {
    core_->client_disconnects.fetch_add(1, std::memory_order_relaxed);
  }
  state.cancel.Cancel(reason);
}

void ServerConnection::Close() {
  if (closed_) return;
  closed_ = true;
  error_code ec;
  stream_->socket().close(ec);
  watchdog_timer_.cancel();
  wake_timer_.cancel();
}

asio::awaitable<void> ServerConnection::Run() {
  core_->Register(loop_, this);
  registered_ = true;
  asio::co_spawn(
      stream_->get_executor(), [self = shared_from_this()] { return self->Watchdog(); },
      internal::LogEscaped("server connection"));
  Outcome outcome = co_await Handshake() ? Outcome::kKeepAlive : Outcome::kClose;
  while (!closed_ && outcome == Outcome::kKeepAlive) {
    outcome = co_await ReadAndServe();
    if (core_->draining.load(std::memory_order_relaxed)) break;
  }
  if (outcome == Outcome::kCloseLingering && !closed_) co_await LingeringClose();
  Close();
  core_->Unregister(loop_, this);
  registered_ = false;
}

asio::awaitable<ServerConnection::Outcome> ServerConnection::ReadAndServe() {
  const HttpServerOptions& options = core_->options;
  if (buffer_.size() == 0) {
    phase_ = Phase::kIdle;
    SetIoDeadline(options.idle_timeout);
    error_code ec;
    if (stream_->tls() == nullptr) {
      std::tie(ec) =
          co_await stream_->socket().async_wait(asio::ip::tcp::socket::wait_read, kToken);
    } else {
      // TLS may hold decrypted bytes the socket no longer shows as readable: read instead.
      size_t n = 0;
      std::tie(ec, n) = co_await stream_->async_read_some(buffer_.prepare(4096), kToken);
      buffer_.commit(n);
    }
    ClearIoDeadline();
    if (ec || closed_) co_return Outcome::kClose;
  }
  phase_ = Phase::kReading;
  read_timed_out_ = false;
  SetIoDeadline(options.read_timeout);
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<size_t>(options.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(options.max_body_bytes);
  auto [ec, bytes] = co_await http::async_read_header(*stream_, buffer_, parser, kToken);
  if (!ec && !parser.is_done()) {
    const auto& head = parser.get();
    if (head.version() >= 11 && EqualsIgnoreCase(head[http::field::expect], "100-continue")) {
      if (!co_await WriteBytes("HTTP/1.1 100 Continue\r\n\r\n")) co_return Outcome::kClose;
      phase_ = Phase::kReading;
      SetIoDeadline(options.read_timeout);
    }
    std::tie(ec, bytes) = co_await http::async_read(*stream_, buffer_, parser, kToken);
  }
  ClearIoDeadline();
  if (ec) {
    const int version = parser.is_header_done() ? static_cast<int>(parser.get().version()) : 11;
    co_return co_await AnswerReadError(ec, version);
  }

  http::request<http::string_body> message = parser.release();
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  request.version = static_cast<int>(message.version());
  for (const auto& field : message) {
    request.headers.Add(std::string(field.name_string()), std::string(field.value()));
  }
  request.body = std::move(message.body());
  request.remote_address = remote_address_;
  request.tls_peer = tls_peer_;
  co_return co_await Dispatch(std::move(request), message.keep_alive());
}

asio::awaitable<ServerConnection::Outcome> ServerConnection::AnswerReadError(const error_code& ec,
                                                                             int version) {
  const HttpServerOptions& options = core_->options;
  if (read_timed_out_) {
    co_await WriteError(408, "request not received in time", false, version);
    co_return Outcome::kCloseLingering;
  }
  if (closed_ || ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec.category() != http::make_error_code(http::error::bad_method).category()) {
    co_return Outcome::kClose;  // the peer went away (or the server is stopping)
  }
  if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    co_await WriteError(
        431, fmt::format("request header larger than {} bytes", options.max_header_bytes), false,
        version);
  } else if (ec == http::error::body_limit) {
    co_await WriteError(413,
                        fmt::format("request body larger than {} bytes", options.max_body_bytes),
                        false, version);
  } else {
    co_await WriteError(400, fmt::format("malformed request: {}", ec.message()), false, version);
  }
  co_return Outcome::kCloseLingering;
}

asio::awaitable<ServerConnection::Outcome> ServerConnection::Dispatch(HttpRequest request,
                                                                      bool keep_alive) {
  core_->requests.fetch_add(1, std::memory_order_relaxed);
  keep_alive = keep_alive && !core_->draining.load(std::memory_order_relaxed);
  const int version = request.version;
  const Router::Match match = core_->router.Find(request.method, request.path());
  if (match.handler == nullptr) {
    if (match.path_known) {
      co_return co_await WriteError(405, fmt::format("method {} not allowed", request.method),
                                    keep_alive, version, match.allow);
    }
    co_return co_await WriteError(404, fmt::format("no route for {}", request.path()), keep_alive,
                                  version);
  }

  const HttpServerOptions& options = core_->options;
  auto state = std::make_shared<ExchangeState>(std::move(request), loop_, core_->clock->NowMicros(),
                                               options.max_stream_buffer_bytes,
                                               options.stream_low_water_bytes);
  {
    std::weak_ptr<ServerConnection> weak = weak_from_this();
    absl::MutexLock lock(&state->mu);
    state->waker = [weak, executor = stream_->get_executor()] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->wake_timer_.cancel();
      });
    };
  }
  exchange_ = state;
  phase_ = Phase::kHandling;
  if (options.request_timeout.count() > 0) {
    exchange_deadline_ = Clock::now() + options.request_timeout;
    ArmWatchdog(exchange_deadline_);
  }
  core_->requests_open.fetch_add(1, std::memory_order_relaxed);
  try {
    (*match.handler)(std::make_shared<HttpExchange>(state));
  } catch (const std::exception& e) {
    TF_LOG_ERROR("net: handler for {} {} threw: {}", state->request.method, state->request.target,
                 e.what());
  } catch (...) {
    TF_LOG_ERROR("net: handler for {} {} threw", state->request.method, state->request.target);
  }

  using namespace asio::experimental::awaitable_operators;  // NOLINT(build/namespaces)
  const std::variant<Outcome, std::monostate> result =
      co_await (ServeExchange(state, keep_alive) || WatchPeer(state));
  const Outcome outcome = result.index() == 0 ? std::get<0>(result) : Outcome::kClose;

  core_->requests_open.fetch_sub(1, std::memory_order_relaxed);
  exchange_deadline_ = Clock::time_point::max();
  exchange_ = nullptr;
  phase_ = Phase::kIdle;
  std::vector<std::function<void()>> drained;
  {
    absl::MutexLock lock(&state->mu);
    drained = state->DetachLocked();
  }
  for (auto& callback : drained) callback();
  co_return outcome;
}

ServerConnection::Step ServerConnection::TakeNextStep(ExchangeState& state,
                                                      const AnswerFrame& frame, bool& head_written,
                                                      std::string& out) {
  absl::MutexLock lock(&state.mu);
  const CancelReason reason = state.cancel.reason();
  if (reason != CancelReason::kNone) {
    return reason == CancelReason::kDeadlineExceeded && !head_written ? Step::kTimedOut
                                                                      : Step::kAbort;
  }
  switch (state.stage) {
    case AnswerStage::kNone:
      state.connection_waiting = true;
      return Step::kWait;
    case AnswerStage::kWhole: {
      const HttpResponse& response = *state.response;
      AppendResponseHead(MakeHead(response.status, &response.headers, BodyFraming::kContentLength,
                                  response.body.size(), frame.keep_alive, frame.version),
                         out);
      out.append(response.body);
      state.response.reset();
      head_written = true;
      return Step::kWriteLast;
    }
    case AnswerStage::kStreaming:
    case AnswerStage::kFinished: {
      if (!head_written) {
        const BodyFraming framing =
            frame.chunked ? BodyFraming::kChunked : BodyFraming::kUntilClose;
        AppendResponseHead(MakeHead(state.stream_status, &state.stream_headers, framing, 0,
                                    frame.keep_alive, frame.version),
                           out);
        head_written = true;
      }
      // Everything queued since the last write leaves as one chunk.
      if (frame.chunked) {
        AppendChunk(state.pending, out);
      } else {
        out.append(state.pending);
      }
      state.in_flight = state.pending.size();
      state.pending.clear();
      if (state.stage == AnswerStage::kFinished) {
        if (frame.chunked) out.append(kLastChunk);
        return Step::kWriteLast;
      }
      if (out.empty()) {
        state.connection_waiting = true;
        return Step::kWait;
      }
      return Step::kWrite;
    }
    case AnswerStage::kAbandoned:
      return head_written ? Step::kAbort : Step::kAbandoned;
  }
  return Step::kAbort;
}

asio::awaitable<ServerConnection::Outcome> ServerConnection::ServeExchange(
    std::shared_ptr<ExchangeState> state, bool keep_alive) {
  co_await asio::this_coro::throw_if_cancelled(false);
  const AnswerFrame frame{.keep_alive = keep_alive,
                          .version = state->request.version,
                          .chunked = state->request.version >= 11};
  bool head_written = false;
  std::string out;
  while (true) {
    out.clear();
    const Step step = TakeNextStep(*state, frame, head_written, out);
    switch (step) {
      case Step::kWait:
        co_await wake_timer_.async_wait(kToken);
        if (co_await WasCancelled()) co_return Outcome::kClose;
        continue;
      case Step::kWrite:
      case Step::kWriteLast: {
        const bool ok = co_await WriteBytes(out);
        phase_ = Phase::kHandling;
        std::vector<std::function<void()>> drained;
        {
          absl::MutexLock lock(&state->mu);
          state->in_flight = 0;
          if (state->pending.size() <= state->low_water_bytes) drained.swap(state->drain_callbacks);
        }
        for (auto& callback : drained) callback();
        if (!ok) {
          CancelExchange(*state, CancelReason::kClientDisconnected);
          co_return Outcome::kClose;
        }
        if (step == Step::kWriteLast) {
          // A body delimited by closing the connection (HTTP/1.0 stream) ends the connection.
          bool whole = false;
          {
            absl::MutexLock lock(&state->mu);
            whole = state->stage == AnswerStage::kWhole;
          }
          const bool delimited = frame.chunked || whole;
          co_return keep_alive&& delimited ? Outcome::kKeepAlive : Outcome::kClose;
        }
        if (co_await WasCancelled()) co_return Outcome::kClose;
        continue;
      }
      case Step::kAbort:
        co_return Outcome::kClose;
      case Step::kTimedOut:
        co_await WriteError(503, "the request exceeded the server's time limit", false,
                            frame.version);
        co_return Outcome::kClose;
      case Step::kAbandoned:
        co_return co_await WriteError(500, "the handler dropped the request", keep_alive,
                                      frame.version);
    }
  }
}

asio::awaitable<void> ServerConnection::WatchPeer(std::shared_ptr<ExchangeState> state) {
  co_await asio::this_coro::throw_if_cancelled(false);
  while (buffer_.size() < kMaxReadAheadBytes) {
    auto [ec, n] = co_await stream_->async_read_some(buffer_.prepare(4096), kToken);
    buffer_.commit(n);
    if (co_await WasCancelled()) co_return;  // the answer is done
    if (!ec) continue;                       // pipelined bytes: keep them for the next request
    if (ec == asio::error::operation_aborted) co_return;
    CancelExchange(*state, CancelReason::kClientDisconnected);
    co_return;
  }
  // Enough read ahead: wait, without reading, until the answer is done.
  asio::steady_timer never(stream_->get_executor(), Clock::time_point::max());
  co_await never.async_wait(kToken);
}

asio::awaitable<void> ServerConnection::Watchdog() {
  co_await asio::this_coro::throw_if_cancelled(false);
  while (!closed_) {
    watchdog_timer_.expires_at(std::min(io_deadline_, exchange_deadline_));
    co_await watchdog_timer_.async_wait(kToken);
    if (closed_) break;
    const Clock::time_point now = Clock::now();
    if (exchange_deadline_ <= now) {
      exchange_deadline_ = Clock::time_point::max();
      if (exchange_ != nullptr) {
        CancelExchange(*exchange_, CancelReason::kDeadlineExceeded);
        wake_timer_.cancel();
      }
    }
    if (io_deadline_ <= now) {
      io_deadline_ = Clock::time_point::max();
      OnIoTimeout();
    }
  }
}

ResponseHead ServerConnection::MakeHead(int status, const HttpHeaders* headers, BodyFraming framing,
                                        size_t content_length, bool keep_alive, int version) const {
  ResponseHead head;
  head.status = status;
  head.headers = headers;
  head.framing = framing;
  head.content_length = content_length;
  head.keep_alive = keep_alive;
  head.version = version;
  head.date = CurrentHttpDate();
  head.server_name = core_->options.server_name;
  return head;
}

void ServerConnection::SetIoDeadline(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    io_deadline_ = Clock::time_point::max();
    return;
  }
  io_deadline_ = Clock::now() + timeout;
  ArmWatchdog(io_deadline_);
}

void ServerConnection::ArmWatchdog(Clock::time_point deadline) {
  // Only an earlier deadline needs the timer moved; a later one is picked up when it fires.
  if (deadline < watchdog_timer_.expiry()) watchdog_timer_.expires_at(deadline);
}

void ServerConnection::OnIoTimeout() {
  switch (phase_) {
    case Phase::kReading: {
      read_timed_out_ = true;
      error_code ec;
      stream_->socket().cancel(ec);
      break;
    }
    case Phase::kWriting:
      // The client stopped reading: treat it as gone.
      if (exchange_ != nullptr) CancelExchange(*exchange_, CancelReason::kClientDisconnected);
      Close();
      break;
    case Phase::kIdle:
    case Phase::kClosing:
      Close();
      break;
    case Phase::kHandling:
      break;
  }
}

asio::awaitable<bool> ServerConnection::WriteBytes(std::string_view bytes) {
  phase_ = Phase::kWriting;
  SetIoDeadline(core_->options.write_timeout);
  auto [ec, n] =
      co_await asio::async_write(*stream_, asio::buffer(bytes.data(), bytes.size()), kToken);
  ClearIoDeadline();
  co_return !ec;
}

asio::awaitable<ServerConnection::Outcome> ServerConnection::WriteError(
    int status, std::string_view message, bool keep_alive, int version, std::string_view allow) {
  HttpResponse response = core_->ErrorResponse(status, message);
  if (!allow.empty()) response.headers.Set("Allow", std::string(allow));
  std::string out;
  AppendResponseHead(MakeHead(response.status, &response.headers, BodyFraming::kContentLength,
                              response.body.size(), keep_alive, version),
                     out);
  out.append(response.body);
  const bool ok = co_await WriteBytes(out);
  co_return ok&& keep_alive ? Outcome::kKeepAlive : Outcome::kClose;
}

asio::awaitable<bool> ServerConnection::Handshake() {
  Transport::TlsStream* tls = stream_->tls();
  if (tls == nullptr) co_return true;
  phase_ = Phase::kReading;
  SetIoDeadline(core_->options.read_timeout);
  auto [ec] = co_await tls->async_handshake(asio::ssl::stream_base::server, kToken);
  ClearIoDeadline();
  if (ec) {
    TF_LOG_DEBUG("net: TLS handshake with {} failed: {}", remote_address_,
                 internal::HandshakeFailure(tls->native_handle(), ec));
    co_return false;
  }
  tls_peer_ = internal::PeerCommonName(tls->native_handle());
  co_return true;
}

asio::awaitable<void> ServerConnection::LingeringClose() {
  error_code ec;
  stream_->socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  if (ec) co_return;
  phase_ = Phase::kClosing;
  const HttpServerOptions& options = core_->options;
  const Clock::time_point end = Clock::now() + options.linger_timeout;
  std::array<char, 16384> sink;
  size_t drained = 0;
  while (!closed_ && drained < options.max_linger_bytes) {
    // A client that stops sending for linger_idle_timeout is done (or gone).
    const Clock::time_point now = Clock::now();
    if (now >= end) break;
    io_deadline_ = std::min(end, now + options.linger_idle_timeout);
    ArmWatchdog(io_deadline_);
    // Raw bytes: under TLS they are records nobody needs to decrypt.
    auto [read_ec, n] = co_await stream_->socket().async_read_some(asio::buffer(sink), kToken);
    if (read_ec) break;
    drained += n;
  }
  ClearIoDeadline();
}

}  // namespace tokenfab::net
