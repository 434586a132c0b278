// RegistryUrl: how `--registry` names the membership registry, the same on nodes and gateways.
//   etcd://HOST:PORT[/PREFIX]   etcd 3.4+ through its JSON gateway on the client port; PREFIX
//                               defaults to /tokenfab/nodes/ (a trailing '/' is added)
// Plain data.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/net/http_url.h"

namespace tokenfab::registry {

struct RegistryUrl {
  std::string scheme;     // "etcd"
  net::HttpUrl endpoint;  // http://HOST:PORT of the registry
  std::string prefix;     // key prefix of node records, ends with '/'
};

// InvalidArgument for another scheme (naming those supported) or a bad host or port.
[[nodiscard]] StatusOr<RegistryUrl> ParseRegistryUrl(std::string_view text);

}  // namespace tokenfab::registry
