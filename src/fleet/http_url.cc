#include "tokenfab/fleet/http_url.h"

#include <charconv>

#include <fmt/format.h>

namespace tokenfab::fleet {
namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool IsIpv6Char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
         c == '.';
}

Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      fmt::format("\"{}\" is not an http URL: {} (expected http://host:port)", text, why));
}

}  // namespace

std::string HttpUrl::ToString() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}{}", scheme, ipv6 ? "[" : "", host, ipv6 ? "]" : "", port,
                     path);
}

StatusOr<HttpUrl> ParseHttpUrl(std::string_view text) {
  HttpUrl url;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    url.scheme = "http";
    url.port = 80;
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    url.scheme = "https";
    url.port = 443;
    rest.remove_prefix(8);
  } else {
    return Invalid(text, "the scheme must be http:// or https://");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Invalid(text, "a query or fragment is not allowed");
  }
  if (authority.find('@') != std::string_view::npos) {
    return Invalid(text, "user info is not allowed");
  }
  std::string_view host;
  std::string_view port;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid(text, "unterminated [IPv6] host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid(text, "junk after the [IPv6] host");
      port = after.substr(1);
      if (port.empty()) return Invalid(text, "empty port");
    }
    if (host.empty()) return Invalid(text, "empty host");
    for (char c : host) {
      if (!IsIpv6Char(c)) return Invalid(text, "bad character in the IPv6 host");
    }
  } else {
    const size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return Invalid(text, "empty port");
    }
    if (host.empty()) return Invalid(text, "empty host");
    for (char c : host) {
      if (!IsHostChar(c)) return Invalid(text, fmt::format("bad character '{}' in the host", c));
    }
  }
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Invalid(text, fmt::format("bad port \"{}\"", port));
    }
    url.port = static_cast<uint16_t>(value);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  url.host = std::string(host);
  url.path = std::string(path);
  return url;
}

}  // namespace tokenfab::fleet
