// OpenSSL contexts for the HTTP server and client, built from TlsServerOptions /
// TlsClientOptions, and the per-connection client setup (SNI, host name check) and error text.
// Internal to the net layer.
//
// Thread-safety: a context is immutable once built and shared by every connection made from it
// (OpenSSL's SSL_CTX is safe for concurrent SSL_new).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "io_context_pool_internal.h"
#include "tokenfab/base/status.h"
#include "tokenfab/net/tls_options.h"

namespace tokenfab::net::internal {

// TLS 1.2 or later, the certificate chain and key (checked to match), and when client_ca_file
// is set, a required, verified client certificate. InvalidArgument naming the file at fault.
StatusOr<std::shared_ptr<asio::ssl::context>> MakeServerTlsContext(const TlsServerOptions& options);

// TLS 1.2 or later, peer verification against ca_file or the system store, the optional client
// certificate. InvalidArgument naming the file at fault.
StatusOr<std::shared_ptr<asio::ssl::context>> MakeClientTlsContext(const TlsClientOptions& options);

// Before a client handshake: SNI (for a name) and the name or IP address the server's
// certificate must match.
Status PrepareClientSsl(SSL* ssl, const std::string& host);

// Why a handshake failed, for logs and statuses: the certificate verification result when it
// failed, else the error's own text.
std::string HandshakeFailure(SSL* ssl, const boost::system::error_code& ec);

// The common name of the verified peer certificate; empty when there is none.
std::string PeerCommonName(SSL* ssl);

}  // namespace tokenfab::net::internal
