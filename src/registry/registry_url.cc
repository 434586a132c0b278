#include "tokenfab/registry/registry_url.h"

#include <fmt/format.h>

#include "tokenfab/registry/member_record.h"

namespace tokenfab::registry {

StatusOr<RegistryUrl> ParseRegistryUrl(std::string_view text) {
  constexpr std::string_view kEtcd = "etcd://";
  if (!text.starts_with(kEtcd)) {
    return absl::InvalidArgumentError(
        fmt::format("--registry \"{}\": expected etcd://HOST:PORT[/PREFIX]", text));
  }
  StatusOr<net::HttpUrl> url =
      net::ParseHttpUrl(fmt::format("http://{}", text.substr(kEtcd.size())));
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
  return out;
}

}  // namespace tokenfab::registry
