#include "client_call.h"

#include <future>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include "absl/synchronization/mutex.h"

#include "coroutines.h"
#include "http_wire.h"
#include "io_context_pool_internal.h"
#include "tls_context.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/logging.h"

namespace tokenfab::net {
namespace {

namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;
using internal::CallState;

using internal::kToken;
constexpr size_t kReadChunkBytes = 16 << 10;
// How long a resolved host name is reused before resolving it again.
constexpr std::chrono::seconds kResolveTtl{60};

void Poke(const std::shared_ptr<CallState>& state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state->mu) {
  if (state->poke) state->poke();
}

// One call: its coroutine, socket and timers, on its loop. Owned by its coroutines through
// shared_ptrs; pokes from other threads reach it through a weak_ptr.
class CallRuntime : public std::enable_shared_from_this<CallRuntime> {
 public:
  CallRuntime(std::shared_ptr<HttpClient::Core> core, int loop, std::shared_ptr<CallState> state,
              ClientRequest request, StreamCallbacks callbacks, size_t max_body_bytes)
      : core_(std::move(core)),
        loop_(loop),
        executor_(core_->pool->context(loop).get_executor()),
        state_(std::move(state)),
        request_(std::move(request)),
        callbacks_(std::move(callbacks)),
        max_body_bytes_(max_body_bytes),
        key_(request_.url.scheme == "https" ? "https://" + request_.url.HostPort()
                                            : request_.url.HostPort()),
        watchdog_(executor_, Clock::time_point::max()),
        pause_timer_(executor_, Clock::time_point::max()) {}

  asio::awaitable<void> Run();
  // Applies a Cancel() or Resume() from another thread. Loop thread.
  void OnPoke();

 private:
  enum class Phase { kConnect, kResponse, kBody, kTotal };

  // One try: a connection (reused or new), the request, the response. `*retryable` tells
  // whether a failure happened on a reused connection before any response byte.
  asio::awaitable<Status> Attempt(bool allow_reuse, bool* retryable);
  asio::awaitable<Status> ReadResponse(bool reused, bool* retryable);
  asio::awaitable<Status> ReadBody(http::response_parser<http::buffer_body>& parser,
                                   boost::beast::flat_buffer& buffer);
  asio::awaitable<Status> Connect();
  // The TLS handshake on a new connection to an https URL (under the connect deadline).
  asio::awaitable<Status> Handshake();
  asio::awaitable<StatusOr<std::vector<tcp::endpoint>>> Resolve();
  asio::awaitable<void> Watchdog();
  void SetPhaseDeadline(Phase phase, std::chrono::milliseconds timeout);
  void ClearPhaseDeadline() { phase_deadline_ = Clock::time_point::max(); }
  void Arm(Clock::time_point deadline) {
    if (deadline < watchdog_.expiry()) watchdog_.expires_at(deadline);
  }
  // Reads the cross-thread flags; true when the call must stop.
  bool CancelRequested();
  // The status for a failed operation `what`, taking cancellation and timeouts into account.
  Status Failure(std::string_view what, const error_code& ec, absl::StatusCode code);
  void CloseSocket() {
    if (stream_ != nullptr) {
      error_code ec;
      stream_->socket().close(ec);
    }
  }
  void Finish(Status status);

  std::shared_ptr<HttpClient::Core> core_;
  const int loop_;
  asio::any_io_executor executor_;
  std::shared_ptr<CallState> state_;
  ClientRequest request_;
  StreamCallbacks callbacks_;
  const size_t max_body_bytes_;  // 0: no limit
  const std::string key_;
  std::unique_ptr<internal::Transport> stream_;
  asio::steady_timer watchdog_;
  asio::steady_timer pause_timer_;  // never expires: cancelled to resume
  Clock::time_point total_deadline_ = Clock::time_point::max();
  Clock::time_point phase_deadline_ = Clock::time_point::max();
  Phase phase_ = Phase::kConnect;
  std::optional<Phase> timed_out_;  // which limit ran out
  bool cancelled_ = false;
  bool finished_ = false;
  uint64_t subscription_ = 0;
};

asio::awaitable<void> CallRuntime::Run() {
  core_->calls.fetch_add(1, std::memory_order_relaxed);
  const HttpClientOptions& options = core_->options;
  if (options.total_timeout.count() > 0) total_deadline_ = Clock::now() + options.total_timeout;
  asio::co_spawn(
      executor_, [self = shared_from_this()] { return self->Watchdog(); },
      internal::LogEscaped("client call"));
  {
    std::weak_ptr<CallState> weak_state = state_;
    subscription_ = request_.cancellation.Subscribe([weak_state](CancelReason) {
      if (auto state = weak_state.lock()) {
        absl::MutexLock lock(&state->mu);
        state->cancel_requested = true;
        Poke(state);
      }
    });
  }
  Status status;
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool retryable = false;
    status = co_await Attempt(/*allow_reuse=*/attempt == 0, &retryable);
    if (status.ok() || !retryable) break;
    core_->retries.fetch_add(1, std::memory_order_relaxed);
  }
  CloseSocket();
  request_.cancellation.Unsubscribe(subscription_);
  Finish(std::move(status));
  watchdog_.cancel();
  pause_timer_.cancel();
}

void CallRuntime::Finish(Status status) {
  if (finished_) return;
  finished_ = true;
  {
    absl::MutexLock lock(&state_->mu);
    state_->done = true;
    state_->poke = nullptr;
  }
  if (callbacks_.on_done) callbacks_.on_done(std::move(status));
}

void CallRuntime::OnPoke() {
  if (CancelRequested()) {
    CloseSocket();
    watchdog_.cancel();
  }
  pause_timer_.cancel();  // re-checks the pause flag
}

bool CallRuntime::CancelRequested() {
  if (!cancelled_) {
    absl::MutexLock lock(&state_->mu);
    cancelled_ = state_->cancel_requested;
  }
  return cancelled_;
}

Status CallRuntime::Failure(std::string_view what, const error_code& ec, absl::StatusCode code) {
  const std::string upstream = request_.url.HostPort();
  if (CancelRequested()) return absl::CancelledError(fmt::format("call to {} cancelled", upstream));
  if (timed_out_.has_value()) {
    const HttpClientOptions& options = core_->options;
    switch (*timed_out_) {
      case Phase::kConnect:
        return absl::DeadlineExceededError(fmt::format("connect to {} timed out after {} ms",
                                                       upstream, options.connect_timeout.count()));
      case Phase::kResponse:
        return absl::DeadlineExceededError(fmt::format("no response from {} within {} ms", upstream,
                                                       options.response_timeout.count()));
      case Phase::kBody:
        return absl::DeadlineExceededError(fmt::format(
            "response body from {} idle for {} ms", upstream, options.read_idle_timeout.count()));
      case Phase::kTotal:
        return absl::DeadlineExceededError(
            fmt::format("call to {} took over {} ms", upstream, options.total_timeout.count()));
    }
  }
  return Status(code, fmt::format("{} {}: {}", what, upstream, ec.message()));
}

asio::awaitable<StatusOr<std::vector<tcp::endpoint>>> CallRuntime::Resolve() {
  const HttpUrl& url = request_.url;
  error_code ec;
  const asio::ip::address address = asio::ip::make_address(url.host, ec);
  if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(address, url.port)};
  auto& cache = core_->loops[loop_].resolved;
  if (auto it = cache.find(key_); it != cache.end() && it->second.expiry > Clock::now()) {
    co_return it->second.endpoints;
  }
  tcp::resolver resolver(executor_);
  auto [resolve_ec, results] =
      co_await resolver.async_resolve(url.host, std::to_string(url.port), kToken);
  if (resolve_ec || results.empty()) {
    co_return absl::UnavailableError(
        fmt::format("cannot resolve '{}': {}", url.host, resolve_ec.message()));
  }
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  cache[key_] = HttpClient::Core::Resolved{endpoints, Clock::now() + kResolveTtl};
  co_return endpoints;
}

asio::awaitable<Status> CallRuntime::Connect() {
  const bool https = request_.url.scheme == "https";
  if (https && !core_->tls.ok()) co_return core_->tls.status();
  SetPhaseDeadline(Phase::kConnect, core_->options.connect_timeout);
  StatusOr<std::vector<tcp::endpoint>> endpoints = co_await Resolve();
  if (!endpoints.ok()) co_return endpoints.status();
  error_code ec = asio::error::host_not_found;
  for (const tcp::endpoint& endpoint : *endpoints) {
    if (CancelRequested() || timed_out_.has_value()) break;
    tcp::socket socket(executor_);
    stream_ = https ? std::make_unique<internal::Transport>(std::move(socket), *core_->tls)
                    : std::make_unique<internal::Transport>(std::move(socket));
    std::tie(ec) = co_await stream_->socket().async_connect(endpoint, kToken);
    if (!ec) break;
    CloseSocket();
  }
  if (ec || CancelRequested() || timed_out_.has_value()) {
    ClearPhaseDeadline();
    co_return Failure("cannot connect to", ec, absl::StatusCode::kUnavailable);
  }
  stream_->socket().set_option(tcp::no_delay(true), ec);
  if (https) {
    Status handshake = co_await Handshake();
    if (!handshake.ok()) {
      ClearPhaseDeadline();
      co_return handshake;
    }
  }
  ClearPhaseDeadline();
  core_->connections_opened.fetch_add(1, std::memory_order_relaxed);
  co_return absl::OkStatus();
}

asio::awaitable<Status> CallRuntime::Handshake() {
  internal::Transport::TlsStream& tls = *stream_->tls();
  if (Status prepared = internal::PrepareClientSsl(tls.native_handle(), request_.url.host);
      !prepared.ok()) {
    co_return prepared;
  }
  auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::client, kToken);
  if (!ec) co_return absl::OkStatus();
  if (CancelRequested() || timed_out_.has_value()) {
    co_return Failure("TLS handshake with", ec, absl::StatusCode::kUnavailable);
  }
  // Never a plaintext fallback: the call fails, saying why.
  const std::string why = internal::HandshakeFailure(tls.native_handle(), ec);
  TF_LOG_WARN("net: {}: {}", request_.url.HostPort(), why);
  co_return absl::UnavailableError(fmt::format("{}: {}", request_.url.HostPort(), why));
}

asio::awaitable<Status> CallRuntime::Attempt(bool allow_reuse, bool* retryable) {
  bool reused = false;
  stream_.reset();
  if (allow_reuse) {
    stream_ = core_->TakeIdle(loop_, key_);
    reused = stream_ != nullptr;
    if (reused) core_->connections_reused.fetch_add(1, std::memory_order_relaxed);
  }
  if (!reused) {
    Status connected = co_await Connect();
    if (!connected.ok()) co_return connected;
  }
  if (CancelRequested()) co_return Failure("", {}, absl::StatusCode::kCancelled);

  std::string out;
  RequestHead head;
  head.method = request_.method;
  head.target = request_.url.target;
  head.host = request_.url.HostPort();
  head.headers = &request_.headers;
  head.content_length = request_.body.size();
  AppendRequestHead(head, out);
  out.append(request_.body);
  SetPhaseDeadline(Phase::kResponse, core_->options.response_timeout);
  auto [write_ec, written] = co_await asio::async_write(*stream_, asio::buffer(out), kToken);
  if (write_ec) {
    *retryable = reused && !CancelRequested() && !timed_out_.has_value();
    co_return Failure("cannot send to", write_ec, absl::StatusCode::kUnavailable);
  }
  co_return co_await ReadResponse(reused, retryable);
}

asio::awaitable<Status> CallRuntime::ReadResponse(bool reused, bool* retryable) {
  const HttpClientOptions& options = core_->options;
  boost::beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(
      options.max_response_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(boost::none);
  auto [ec, bytes] = co_await http::async_read_header(*stream_, buffer, parser, kToken);
  if (ec) {
    // A kept-alive connection the upstream closed meanwhile fails here without a byte.
    *retryable = reused && !parser.got_some() && !CancelRequested() && !timed_out_.has_value() &&
                 (ec == http::error::end_of_stream || ec == asio::error::eof ||
                  ec == asio::error::connection_reset);
    if (ec == http::error::header_limit) {
      co_return absl::ResourceExhaustedError(fmt::format(
          "response head from {} larger than {} bytes", key_, options.max_response_header_bytes));
    }
    const bool malformed =
        ec.category() == http::make_error_code(http::error::bad_method).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message;
    co_return Failure(malformed ? "malformed response from" : "no response from", ec,
                      malformed ? absl::StatusCode::kDataLoss : absl::StatusCode::kUnavailable);
  }
  ClearPhaseDeadline();
  if (callbacks_.on_head) {
    HttpHeaders headers;
    for (const auto& field : parser.get()) {
      headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    callbacks_.on_head(static_cast<int>(parser.get().result_int()), headers);
  }
  const bool keep_alive = parser.get().keep_alive();
  Status body = co_await ReadBody(parser, buffer);
  if (!body.ok()) co_return body;
  if (keep_alive && buffer.size() == 0 && !CancelRequested()) {
    core_->ReturnIdle(loop_, key_, std::move(stream_));
  }
  stream_.reset();
  co_return absl::OkStatus();
}

asio::awaitable<Status> CallRuntime::ReadBody(http::response_parser<http::buffer_body>& parser,
                                              boost::beast::flat_buffer& buffer) {
  std::unique_ptr<char[]> chunk(new char[kReadChunkBytes]);
  size_t total = 0;
  while (!parser.is_done()) {
    while (true) {
      if (CancelRequested()) co_return Failure("", {}, absl::StatusCode::kCancelled);
      {
        absl::MutexLock lock(&state_->mu);
        if (!state_->paused) break;
      }
      co_await pause_timer_.async_wait(kToken);  // Resume() or Cancel() wakes it
    }
    parser.get().body().data = chunk.get();
    parser.get().body().size = kReadChunkBytes;
    SetPhaseDeadline(Phase::kBody, core_->options.read_idle_timeout);
    auto [ec, n] = co_await http::async_read_some(*stream_, buffer, parser, kToken);
    ClearPhaseDeadline();  // a pause in between is ours, not the upstream's silence
    if (ec == http::error::need_buffer) ec = {};
    const size_t got = kReadChunkBytes - parser.get().body().size;
    if (got > 0 && !ec) {
      total += got;
      if (max_body_bytes_ > 0 && total > max_body_bytes_) {
        co_return absl::ResourceExhaustedError(
            fmt::format("response body from {} larger than {} bytes", key_, max_body_bytes_));
      }
      if (callbacks_.on_data) callbacks_.on_data(std::string_view(chunk.get(), got));
    }
    if (ec) {
      const bool cut = ec == http::error::partial_message || ec == asio::error::eof ||
                       ec == http::error::end_of_stream;
      co_return Failure(
          cut ? "connection closed before the response ended by" : "cannot read the response from",
          ec, absl::StatusCode::kDataLoss);
    }
  }
  co_return absl::OkStatus();
}

void CallRuntime::SetPhaseDeadline(Phase phase, std::chrono::milliseconds timeout) {
  phase_ = phase;
  if (timeout.count() <= 0) {
    phase_deadline_ = Clock::time_point::max();
    return;
  }
  phase_deadline_ = Clock::now() + timeout;
  Arm(phase_deadline_);
}

asio::awaitable<void> CallRuntime::Watchdog() {
  co_await asio::this_coro::throw_if_cancelled(false);
  while (!finished_ && !timed_out_.has_value()) {
    watchdog_.expires_at(std::min(phase_deadline_, total_deadline_));
    co_await watchdog_.async_wait(kToken);
    if (finished_ || cancelled_) break;
    const Clock::time_point now = Clock::now();
    if (total_deadline_ <= now) {
      timed_out_ = Phase::kTotal;
    } else if (phase_deadline_ <= now) {
      timed_out_ = phase_;
    } else {
      continue;
    }
    CloseSocket();
    pause_timer_.cancel();
  }
}

}  // namespace

std::shared_ptr<ClientCall> StartCall(const std::shared_ptr<HttpClient::Core>& core,
                                      ClientRequest request, StreamCallbacks callbacks,
                                      size_t max_body_bytes) {
  IoContextPool::Impl* pool = core->pool;
  const int loop = request.loop >= 0 ? request.loop % pool->size() : pool->PickLoopForCall();
  auto state = std::make_shared<CallState>();
  auto runtime = std::make_shared<CallRuntime>(core, loop, state, std::move(request),
                                               std::move(callbacks), max_body_bytes);
  {
    std::weak_ptr<CallRuntime> weak = runtime;
    absl::MutexLock lock(&state->mu);
    state->poke = [weak, executor = pool->context(loop).get_executor()] {
      asio::post(executor, [weak] {
        if (auto self = weak.lock()) self->OnPoke();
      });
    };
  }
  asio::co_spawn(
      pool->context(loop), [runtime] { return runtime->Run(); },
      internal::LogEscaped("client call"));
  return std::make_shared<ClientCall>(std::move(state));
}

ClientCall::ClientCall(std::shared_ptr<internal::CallState> state) : state_(std::move(state)) {}

void ClientCall::Cancel() {
  absl::MutexLock lock(&state_->mu);
  if (state_->done) return;
  state_->cancel_requested = true;
  Poke(state_);
}

void ClientCall::Pause() {
  absl::MutexLock lock(&state_->mu);
  state_->paused = true;
}

void ClientCall::Resume() {
  absl::MutexLock lock(&state_->mu);
  if (!state_->paused) return;
  state_->paused = false;
  Poke(state_);
}

bool ClientCall::done() const {
  absl::MutexLock lock(&state_->mu);
  return state_->done;
}

}  // namespace tokenfab::net
