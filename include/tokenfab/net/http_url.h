// HttpUrl: an `http[s]://host[:port][/path][?query]` URL split into what a client needs: the one
// URL type of the code base, for the client's requests, the bench's target and the fleet's
// upstream addresses.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::net {

// Plain data.
struct HttpUrl {
  std::string scheme = "http";  // "http" or "https"
  std::string host;             // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 80;           // explicit, or 80 / 443 by scheme
  std::string target = "/";     // path and query, at least "/"; no trailing '/' after "/"

  // "host:port" (IPv6 in brackets), as the Host field carries it.
  std::string HostPort() const;
  // The URL with `path` appended to the target's path (one '/' between them).
  HttpUrl WithPath(std::string_view path) const;
  // Back to text, the port always written and a target of "/" left out:
  // "http://127.0.0.1:8101/v1", "http://[::1]:8080".
  std::string ToString() const;

  bool operator==(const HttpUrl&) const = default;
};

// Parses an absolute http or https URL. The path loses its trailing '/'s ("/v1/" is "/v1"), a
// fragment is dropped (it is never sent). InvalidArgument, with what is wrong with the text, for
// another scheme, user info, an empty host, a bad character in the host, an empty or bad port.
[[nodiscard]] StatusOr<HttpUrl> ParseHttpUrl(std::string_view text);

// A base URL, such as an upstream's address, that paths are appended to: ParseHttpUrl, and
// InvalidArgument for a query or a fragment.
[[nodiscard]] StatusOr<HttpUrl> ParseBaseUrl(std::string_view text);

}  // namespace tokenfab::net
