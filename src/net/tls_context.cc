#include "tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <fmt/format.h>
#include <boost/asio/ip/address.hpp>

namespace tokenfab::net::internal {
namespace {

using boost::system::error_code;
namespace ssl = asio::ssl;

Status FileError(std::string_view what, const std::string& file, const error_code& ec) {
  return absl::InvalidArgumentError(fmt::format("cannot load the {} \"{}\": {}", what, file,
                                                ec ? ec.message() : "unknown error"));
}

std::shared_ptr<ssl::context> NewContext(ssl::context::method method) {
  auto context = std::make_shared<ssl::context>(method);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
  return context;
}

Status LoadChainAndKey(ssl::context& context, const std::string& cert_file,
                       const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError("a TLS certificate needs its key, and a key its certificate");
  }
  error_code ec;
  context.use_certificate_chain_file(cert_file, ec);
  if (ec) return FileError("TLS certificate", cert_file, ec);
  context.use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return FileError("TLS private key", key_file, ec);
  if (SSL_CTX_check_private_key(context.native_handle()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(fmt::format(
        "the TLS key \"{}\" does not match the certificate \"{}\"", key_file, cert_file));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::shared_ptr<ssl::context>> MakeServerTlsContext(const TlsServerOptions& options) {
  auto context = NewContext(ssl::context::tls_server);
  TF_RETURN_IF_ERROR(LoadChainAndKey(*context, options.cert_file, options.key_file));
  if (options.cert_file.empty()) {
    return absl::InvalidArgumentError("serving TLS needs a certificate and a key");
  }
  // Session tickets would only cost work: clients keep connections alive instead.
  SSL_CTX_set_num_tickets(context->native_handle(), 0);
  if (!options.client_ca_file.empty()) {
    error_code ec;
    context->load_verify_file(options.client_ca_file, ec);
    if (ec) return FileError("TLS client CA file", options.client_ca_file, ec);
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca_file.c_str());
    if (names != nullptr) SSL_CTX_set_client_CA_list(context->native_handle(), names);
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  ERR_clear_error();
  return context;
}

StatusOr<std::shared_ptr<ssl::context>> MakeClientTlsContext(const TlsClientOptions& options) {
  auto context = NewContext(ssl::context::tls_client);
  error_code ec;
  if (options.ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return FileError("system trust store", "default paths", ec);
  } else {
    context->load_verify_file(options.ca_file, ec);
    if (ec) return FileError("TLS CA file", options.ca_file, ec);
  }
  context->set_verify_mode(ssl::verify_peer);
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    TF_RETURN_IF_ERROR(LoadChainAndKey(*context, options.cert_file, options.key_file));
  }
  ERR_clear_error();
  return context;
}

Status PrepareClientSsl(SSL* ssl, const std::string& host) {
  error_code ec;
  asio::ip::make_address(host, ec);
  const bool is_ip = !ec;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) != 1) {
      return absl::InvalidArgumentError(fmt::format("bad IP address \"{}\" for TLS", host));
    }
  } else {
    // SNI, so a server with several names presents the right certificate.
    SSL_set_tlsext_host_name(ssl, host.c_str());
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size()) != 1) {
      return absl::InvalidArgumentError(fmt::format("bad host name \"{}\" for TLS", host));
    }
  }
  return absl::OkStatus();
}

std::string HandshakeFailure(SSL* ssl, const error_code& ec) {
  const long result = SSL_get_verify_result(ssl);  // NOLINT(runtime/int): OpenSSL's type
  if (result != X509_V_OK) {
    return fmt::format("TLS certificate refused: {}", X509_verify_cert_error_string(result));
  }
  return fmt::format("TLS handshake failed: {}", ec.message());
}

std::string PeerCommonName(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return {};
  X509_NAME* subject = X509_get_subject_name(cert);
  char name[256];
  const int n = X509_NAME_get_text_by_NID(subject, NID_commonName, name, sizeof(name));
  return n > 0 ? std::string(name, static_cast<size_t>(n)) : std::string();
}

}  // namespace tokenfab::net::internal
