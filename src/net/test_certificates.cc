#include "test_certificates.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>

#include <fmt/format.h>

namespace tokenfab::net::testing {
namespace {

Status Run(const std::string& command) {
  const std::string quiet = command + " >/dev/null 2>&1";
  if (std::system(quiet.c_str()) != 0) {
    return absl::InternalError(fmt::format("failed: {}", command));
  }
  return absl::OkStatus();
}

Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) return absl::InternalError(fmt::format("cannot write {}", path));
  return absl::OkStatus();
}

constexpr const char* kNewKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

}  // namespace

StatusOr<TestCertificates> TestCertificates::Make() {
  TestCertificates c;
  std::string pattern = (std::filesystem::temp_directory_path() / "tokenfab-tls-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  c.dir = pattern;
  const std::string& d = c.dir;
  c.ca = d + "/ca.pem";
  c.other_ca = d + "/other-ca.pem";
  c.key = d + "/server.key";
  c.server = d + "/server.pem";
  c.expired = d + "/expired.pem";
  c.self_signed = d + "/self-signed.pem";
  c.wrong_host = d + "/wrong-host.pem";
  c.client = d + "/client.pem";
  c.client_key = d + "/client.key";
  const std::string server_ext = d + "/server.ext";
  const std::string wrong_ext = d + "/wrong.ext";
  const std::string client_ext = d + "/client.ext";
  TF_RETURN_IF_ERROR(WriteText(server_ext,
                               "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                               "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"));
  TF_RETURN_IF_ERROR(WriteText(wrong_ext,
                               "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                               "subjectAltName=DNS:example.com\n"));
  TF_RETURN_IF_ERROR(
      WriteText(client_ext, "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n"));
  const auto ca = [&](const std::string& name, const std::string& pem) {
    return Run(fmt::format(
        "openssl req -x509 {} -keyout {}.key -out {} -subj /CN={} -days 2 -addext "
        "basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
        kNewKey, pem, pem, name));
  };
  TF_RETURN_IF_ERROR(ca("tokenfab-test-ca", c.ca));
  TF_RETURN_IF_ERROR(ca("tokenfab-other-ca", c.other_ca));
  TF_RETURN_IF_ERROR(Run(fmt::format(
      "openssl req {} -keyout {} -out {}/server.csr -subj /CN=localhost", kNewKey, c.key, d)));
  const auto sign = [&](const std::string& csr, const std::string& out, const std::string& ext,
                        int days) {
    return Run(fmt::format(
        "openssl x509 -req -in {} -CA {} -CAkey {}.key -CAcreateserial -out {} -days {} "
        "-extfile {}",
        csr, c.ca, c.ca, out, days, ext));
  };
  const std::string csr = d + "/server.csr";
  TF_RETURN_IF_ERROR(sign(csr, c.server, server_ext, 2));
  TF_RETURN_IF_ERROR(sign(csr, c.expired, server_ext, -1));
  TF_RETURN_IF_ERROR(sign(csr, c.wrong_host, wrong_ext, 2));
  TF_RETURN_IF_ERROR(Run(fmt::format("openssl x509 -req -in {} -key {} -out {} -days 2 -extfile {}",
                                     csr, c.key, c.self_signed, server_ext)));
  TF_RETURN_IF_ERROR(
      Run(fmt::format("openssl req {} -keyout {} -out {}/client.csr -subj /CN=gateway-a", kNewKey,
                      c.client_key, d)));
  TF_RETURN_IF_ERROR(sign(d + "/client.csr", c.client, client_ext, 2));
  return c;
}

TestCertificates::TestCertificates(TestCertificates&& other) noexcept
    : dir(std::exchange(other.dir, {})),
      ca(std::move(other.ca)),
      key(std::move(other.key)),
      server(std::move(other.server)),
      expired(std::move(other.expired)),
      self_signed(std::move(other.self_signed)),
      wrong_host(std::move(other.wrong_host)),
      other_ca(std::move(other.other_ca)),
      client(std::move(other.client)),
      client_key(std::move(other.client_key)) {}

TestCertificates::~TestCertificates() {
  if (dir.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

Status CopyFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return absl::InternalError(fmt::format("cannot copy {}: {}", from, ec.message()));
  return absl::OkStatus();
}

}  // namespace tokenfab::net::testing
