// Test certificates, made at test time with the `openssl` command line tool in a fresh
// temporary directory (removed by the destructor): a CA, and PEM files signed by it or not, for
// TLS tests of the net layer and of the layers above it. EC P-256 keys, so making them is quick.
#pragma once

#include <string>

#include "tokenfab/base/status.h"

namespace tokenfab::net::testing {

struct TestCertificates {
  std::string dir;
  std::string ca;           // the CA certificate (trust this one)
  std::string key;          // the key of every server certificate below
  std::string server;       // CN localhost, SAN IP:127.0.0.1, IP:::1, DNS:localhost; from the CA
  std::string expired;      // as `server`, but no longer valid
  std::string self_signed;  // as `server`, but signed by itself (not by the CA)
  std::string wrong_host;   // from the CA, for DNS:example.com only
  std::string other_ca;     // a second CA, which signed nothing here
  std::string client;       // CN gateway-a, from the CA, for client authentication
  std::string client_key;

  // Makes them all. Internal when the tool fails.
  [[nodiscard]] static StatusOr<TestCertificates> Make();
  ~TestCertificates();
  TestCertificates() = default;
  TestCertificates(TestCertificates&& other) noexcept;
  TestCertificates& operator=(TestCertificates&&) = delete;
  TestCertificates(const TestCertificates&) = delete;
};

// Copies the file at `from` over `to` (for certificate reload tests).
[[nodiscard]] Status CopyFile(const std::string& from, const std::string& to);

}  // namespace tokenfab::net::testing
