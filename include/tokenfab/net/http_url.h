// HttpUrl: an `http://host[:port][/path][?query]` URL split into what a client needs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::net {

struct HttpUrl {
  std::string host;  // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 80;
  std::string target;  // path and query, at least "/"

  // "host:port" (IPv6 in brackets), as the Host field carries it.
  std::string HostPort() const;
  // The URL with `path` appended to the target's path (one '/' between them).
  HttpUrl WithPath(std::string_view path) const;
};

// Parses an absolute http URL. https and other schemes are InvalidArgument (no TLS yet), as are
// user info, a bad port and an empty host.
[[nodiscard]] StatusOr<HttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace tokenfab::net
