// ServerConnection: one accepted connection of an HttpServer, run as a C++20 coroutine on its loop.
// It reads requests (Beast's parser, with the server's limits), dispatches them to the router,
// writes the answers (whole or streamed), keeps a read pending while a handler works so that a
// client going away cancels the exchange at once, and enforces the time limits with one watchdog
// timer. Internal to the net layer.
//
// Ownership: the coroutines hold the connection through shared_ptrs; the server's registry holds a
// raw pointer, valid until Run() ends. Every member is used on the connection's loop thread only.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include "exchange_state.h"
#include "http_wire.h"
#include "server_core.h"
#include "transport.h"

namespace tokenfab::net {

class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  // `tls`: the server's TLS context when it serves HTTPS, else null.
  ServerConnection(std::shared_ptr<ServerCore> core, asio::ip::tcp::socket socket,
                   std::shared_ptr<asio::ssl::context> tls, int loop);
  ~ServerConnection();

  // Spawns the connection's coroutine on its loop. Call once, from any thread.
  void Start();

  // Called by Stop() on the loop thread: close now when idle between requests.
  void CloseIfIdle();
  // Called by Stop() on the loop thread: cancel the exchange in progress and close.
  void Abort();

 private:
  using Clock = std::chrono::steady_clock;
  enum class Phase { kIdle, kReading, kHandling, kWriting, kClosing };
  enum class Outcome { kKeepAlive, kClose, kCloseLingering };
  // What ServeExchange does next with the answer.
  enum class Step {
    kWait,       // nothing new: wait for a wake
    kWrite,      // write `out`, then look again
    kWriteLast,  // write `out`: the answer is complete
    kAbort,      // close the connection without finishing the answer
    kTimedOut,   // the request's time limit passed before any answer: 503
    kAbandoned,  // the handler dropped the exchange before answering: 500
  };
  // How the answer is framed, fixed by the request.
  struct AnswerFrame {
    bool keep_alive;
    int version;
    bool chunked;  // streamed bodies use chunked coding (HTTP/1.1), else end with the connection
  };

  asio::awaitable<void> Run();
  // The TLS handshake (under the read timeout) when serving HTTPS; false: close.
  asio::awaitable<bool> Handshake();
  // Reads one request and serves it; kClose ends the connection.
  asio::awaitable<Outcome> ReadAndServe();
  // Answers a request that could not be read (408, 413, 431, 400) or just closes.
  asio::awaitable<Outcome> AnswerReadError(const boost::system::error_code& ec, int version);
  asio::awaitable<Outcome> Dispatch(HttpRequest request, bool keep_alive);
  // Writes the answer to the current exchange as the handler produces it.
  asio::awaitable<Outcome> ServeExchange(std::shared_ptr<internal::ExchangeState> state,
                                         bool keep_alive);
  // Under the exchange's lock: takes what the handler produced and formats it into `out`.
  Step TakeNextStep(internal::ExchangeState& state, const AnswerFrame& frame, bool& head_written,
                    std::string& out);
  // Reads the socket while the exchange runs: pipelined bytes are kept, EOF or an error cancels.
  asio::awaitable<void> WatchPeer(std::shared_ptr<internal::ExchangeState> state);
  asio::awaitable<void> Watchdog();
  // Writes all of `bytes` under the write timeout; false when the connection failed.
  asio::awaitable<bool> WriteBytes(std::string_view bytes);
  // Writes an error answer the server gives itself (`Connection: close` unless keep_alive).
  asio::awaitable<Outcome> WriteError(int status, std::string_view message, bool keep_alive,
                                      int version, std::string_view allow = {});
  // Half-closes and drains what the client still sends (up to the server's linger limits), so an
  // early error answer (413 before the body was read) is not lost to a TCP reset, then closes.
  asio::awaitable<void> LingeringClose();

  ResponseHead MakeHead(int status, const HttpHeaders* headers, BodyFraming framing,
                        size_t content_length, bool keep_alive, int version) const;
  void SetIoDeadline(std::chrono::milliseconds timeout);
  void ClearIoDeadline() { io_deadline_ = Clock::time_point::max(); }
  void ArmWatchdog(Clock::time_point deadline);
  void OnIoTimeout();
  void Close();
  // Cancels the exchange (once; later reasons are ignored) and counts client disconnects.
  void CancelExchange(internal::ExchangeState& state, CancelReason reason);

  std::shared_ptr<ServerCore> core_;
  std::unique_ptr<internal::Transport> stream_;
  const int loop_;
  std::atomic<int>& loop_connections_;  // the pool's count for loop_
  std::string remote_address_;
  std::string tls_peer_;              // the verified client certificate's common name, if any
  boost::beast::flat_buffer buffer_;  // bytes read and not yet parsed (pipelined requests)
  asio::steady_timer watchdog_timer_;
  asio::steady_timer wake_timer_;  // never expires: cancelled to wake ServeExchange
  Clock::time_point io_deadline_ = Clock::time_point::max();
  Clock::time_point exchange_deadline_ = Clock::time_point::max();
  Phase phase_ = Phase::kIdle;
  bool read_timed_out_ = false;
  bool closed_ = false;
  bool registered_ = false;
  std::shared_ptr<internal::ExchangeState> exchange_;  // the exchange being served, if any
};

}  // namespace tokenfab::net
