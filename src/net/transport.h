// Transport: one TCP connection, plain or TLS, behind the one stream interface Asio and Beast
// read and write through (async_read_some / async_write_some). The server connection and the
// client call hold one instead of a socket, so their HTTP code is the same for http and https.
// Internal to the net layer.
//
// Thread-safety: none; used on its connection's loop only. One read and one write may be in
// flight at once (Asio's TLS stream serialises what they need underneath).
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "io_context_pool_internal.h"

namespace tokenfab::net::internal {

class Transport {
 public:
  using executor_type = asio::any_io_executor;
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;

  // Plain TCP.
  explicit Transport(asio::ip::tcp::socket socket) : plain_(std::move(socket)) {}
  // TLS over `socket`, with `context` (kept alive by the transport); the handshake is the
  // owner's to do.
  Transport(asio::ip::tcp::socket socket, std::shared_ptr<asio::ssl::context> context)
      : context_(std::move(context)), tls_(std::in_place, std::move(socket), *context_) {}
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  executor_type get_executor() { return socket().get_executor(); }
  // The TCP socket underneath (to close, cancel, shut down, set options).
  asio::ip::tcp::socket& socket() { return tls_.has_value() ? tls_->next_layer() : *plain_; }
  // The TLS stream; null for plain TCP.
  TlsStream* tls() { return tls_.has_value() ? &*tls_ : nullptr; }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    if (tls_.has_value()) return tls_->async_read_some(buffers, std::forward<Token>(token));
    return plain_->async_read_some(buffers, std::forward<Token>(token));
  }
  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    if (tls_.has_value()) return tls_->async_write_some(buffers, std::forward<Token>(token));
    return plain_->async_write_some(buffers, std::forward<Token>(token));
  }

 private:
  std::optional<asio::ip::tcp::socket> plain_;
  std::shared_ptr<asio::ssl::context> context_;  // before tls_: outlives it
  std::optional<TlsStream> tls_;
};

}  // namespace tokenfab::net::internal
