#include "tokenfab/net/http_url.h"

#include <charconv>

#include <fmt/format.h>

namespace tokenfab::net {

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

StatusOr<HttpUrl> ParseHttpUrl(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not an absolute URL", url));
  }
  const std::string_view scheme = url.substr(0, scheme_end);
  if (scheme != "http") {
    return absl::InvalidArgumentError(
        fmt::format("URL scheme '{}' is not supported (only http)", scheme));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  const size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (const size_t fragment = target.find('#'); fragment != std::string_view::npos) {
    target = target.substr(0, fragment);
  }
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError("URLs with user info are not supported");
  }
  HttpUrl parsed;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(fmt::format("bad IPv6 address in '{}'", url));
    }
    parsed.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError(fmt::format("bad authority in '{}'", url));
      }
      port_text = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return absl::InvalidArgumentError(fmt::format("no host in '{}'", url));
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return absl::InvalidArgumentError(fmt::format("bad port '{}' in '{}'", port_text, url));
    }
    parsed.port = static_cast<uint16_t>(port);
  }
  parsed.target = target.empty() ? "/" : std::string(target);
  if (parsed.target.front() == '?') parsed.target = "/" + parsed.target;
  return parsed;
}

}  // namespace tokenfab::net
