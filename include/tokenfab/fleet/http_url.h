// HttpUrl: the address of an upstream, "http://host:port[/base/path]", parsed once at load.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::fleet {

// A parsed http or https URL. Plain data.
struct HttpUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // name, IPv4 address, or IPv6 address without brackets
  uint16_t port = 0;   // explicit, or 80 / 443 by scheme
  std::string path;    // base path without a trailing '/', "" for none

  // Back to text: "http://127.0.0.1:8101/v1"; IPv6 hosts in brackets.
  std::string ToString() const;

  bool operator==(const HttpUrl&) const = default;
};

// Parses "http://host[:port][/path]" or https. No user info, query or fragment. An error
// (InvalidArgument) says what is wrong with the text.
[[nodiscard]] StatusOr<HttpUrl> ParseHttpUrl(std::string_view text);

}  // namespace tokenfab::fleet
