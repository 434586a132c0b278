// TLS settings of the HTTP server and client (OpenSSL underneath). Plain data, no Boost or
// OpenSSL types, so any layer can carry them. Files are PEM.
#pragma once

#include <string>

namespace tokenfab::net {

// The server serves HTTPS when cert_file and key_file are set (both or neither).
struct TlsServerOptions {
  std::string cert_file;  // the certificate chain: leaf first, then intermediates
  std::string key_file;   // its private key (unencrypted)
  // When set, every client must present a certificate issued by a CA in this file (mutual TLS);
  // a client without one, or with another, is refused during the handshake.
  std::string client_ca_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty(); }
};

// How the client checks the servers of https:// URLs: always the chain and the host name (an IP
// address is matched against the certificate's IP entries), never a silent plaintext fallback.
struct TlsClientOptions {
  std::string ca_file;  // trusted CAs; empty: the system trust store
  // A client certificate and key for servers that ask for one (mutual TLS); both or neither.
  std::string cert_file;
  std::string key_file;
};

}  // namespace tokenfab::net
