#include "tokenfab/net/http_url.h"

#include <charconv>

#include <fmt/format.h>

namespace tokenfab::net {
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

// Splits "host[:port]" or "[v6]:port" into host and port text, checking the host's characters.
Status SplitAuthority(std::string_view text, std::string_view authority, std::string_view* host,
                      std::string_view* port) {
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid(text, "unterminated [IPv6] host");
    *host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Invalid(text, "junk after the [IPv6] host");
      *port = after.substr(1);
      if (port->empty()) return Invalid(text, "empty port");
    }
    if (host->empty()) return Invalid(text, "empty host");
    for (char c : *host) {
      if (!IsIpv6Char(c)) return Invalid(text, "bad character in the IPv6 host");
    }
    return absl::OkStatus();
  }
  const size_t colon = authority.rfind(':');
  *host = authority.substr(0, colon);
  if (colon != std::string_view::npos) {
    *port = authority.substr(colon + 1);
    if (port->empty()) return Invalid(text, "empty port");
  }
  if (host->empty()) return Invalid(text, "empty host");
  for (char c : *host) {
    if (!IsHostChar(c)) return Invalid(text, fmt::format("bad character '{}' in the host", c));
  }
  return absl::OkStatus();
}

}  // namespace

std::string HttpUrl::HostPort() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

HttpUrl HttpUrl::WithPath(std::string_view path) const {
  HttpUrl url = *this;
  const size_t query = target.find('?');
  std::string base = target.substr(0, query);
  while (!base.empty() && base.back() == '/') base.pop_back();
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  url.target = base + "/" + std::string(path);
  return url;
}

std::string HttpUrl::ToString() const {
  return fmt::format("{}://{}{}", scheme, HostPort(), target == "/" ? "" : target);
}

StatusOr<HttpUrl> ParseHttpUrl(std::string_view text) {
  HttpUrl url;
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    url.scheme = "https";
    url.port = 443;
    rest.remove_prefix(8);
  } else {
    return Invalid(text, "the scheme must be http:// or https://");
  }
  const size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  target = target.substr(0, target.find('#'));
  if (authority.find('@') != std::string_view::npos) {
    return Invalid(text, "user info is not allowed");
  }
  std::string_view host;
  std::string_view port;
  TF_RETURN_IF_ERROR(SplitAuthority(text, authority, &host, &port));
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return Invalid(text, fmt::format("bad port \"{}\"", port));
    }
    url.port = static_cast<uint16_t>(value);
  }
  url.host = std::string(host);
  const size_t query = target.find('?');
  std::string_view path = target.substr(0, query);
  while (path.ends_with('/')) path.remove_suffix(1);
  url.target = fmt::format("/{}{}", path.substr(path.empty() ? 0 : 1),
                           query == std::string_view::npos ? "" : target.substr(query));
  return url;
}

StatusOr<HttpUrl> ParseBaseUrl(std::string_view text) {
  TF_ASSIGN_OR_RETURN(HttpUrl url, ParseHttpUrl(text));
  if (text.find_first_of("?#") != std::string_view::npos) {
    return Invalid(text, "a query or fragment is not allowed");
  }
  return url;
}

}  // namespace tokenfab::net
