#include "tokenfab/registry/registry_url.h"

#include <fmt/format.h>

#include "tokenfab/registry/member_record.h"

namespace tokenfab::registry {
namespace {

// "postgresql://user:secret@host:5432/db?sslmode=require" -> "postgresql://host:5432/db".
std::string PostgresDisplay(std::string_view text) {
  const size_t scheme_end = text.find("://") + 3;
  std::string_view rest = text.substr(scheme_end);
  rest = rest.substr(0, rest.find('?'));
  const size_t at = rest.find('@');
  if (at != std::string_view::npos) rest = rest.substr(at + 1);
  return fmt::format("postgresql://{}", rest);
}

StatusOr<RegistryUrl> ParseEtcd(std::string_view text, std::string_view after_scheme) {
  StatusOr<net::HttpUrl> url = net::ParseHttpUrl(fmt::format("http://{}", after_scheme));
  if (!url.ok()) {
    return absl::InvalidArgumentError(
        fmt::format("--registry \"{}\": {}", text, url.status().message()));
  }
  RegistryUrl out;
  out.scheme = "etcd";
  out.endpoint.host = url->host;  // the target stays "/"
  out.endpoint.port = url->port;
  out.prefix = std::string(kDefaultPrefix);
  if (url->target != "/") {
    out.prefix = url->target;
    out.prefix.push_back('/');
  }
  out.display = fmt::format("etcd {}", out.endpoint.HostPort());
  return out;
}

}  // namespace

StatusOr<RegistryUrl> ParseRegistryUrl(std::string_view text) {
  constexpr std::string_view kEtcd = "etcd://";
  if (text.starts_with(kEtcd)) return ParseEtcd(text, text.substr(kEtcd.size()));
  if (text.starts_with("postgresql://") || text.starts_with("postgres://")) {
    RegistryUrl out;
    out.scheme = "postgresql";
    out.conninfo = std::string(text);
    out.prefix = std::string(kDefaultPrefix);
    out.display = PostgresDisplay(text);
    return out;
  }
  return absl::InvalidArgumentError(
      fmt::format("--registry \"{}\": expected etcd://HOST:PORT[/PREFIX] or postgresql://…", text));
}

}  // namespace tokenfab::registry
