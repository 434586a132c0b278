// RegistryUrl: how `--registry` names the membership registry, the same on nodes and gateways.
//   etcd://HOST:PORT[/PREFIX]   etcd 3.4+ through its JSON gateway on the client port; PREFIX
//                               defaults to /tokenfab/nodes/ (a trailing '/' is added)
//   postgresql://…, postgres://…  a PostgreSQL database (libpq's connection URI, as the ledger
//                               takes it): a table of members with heartbeats, LISTEN/NOTIFY;
//                               the prefix is /tokenfab/nodes/ (one fleet per database)
// Plain data.
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/net/http_url.h"

namespace tokenfab::registry {

struct RegistryUrl {
  std::string scheme;     // "etcd" or "postgresql"
  net::HttpUrl endpoint;  // etcd: http://HOST:PORT of the registry
  std::string conninfo;   // postgresql: the URI as given, for libpq
  std::string prefix;     // key prefix of node records, ends with '/'
  std::string display;    // for logs: "etcd HOST:PORT", or the URI without its password and options
};

// InvalidArgument for another scheme (naming those supported) or a bad host or port.
[[nodiscard]] StatusOr<RegistryUrl> ParseRegistryUrl(std::string_view text);

}  // namespace tokenfab::registry
