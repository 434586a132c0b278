#include "tokenfab/api/bearer_token.h"

#include "tokenfab/net/http_message.h"

namespace tokenfab::api {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string_view> ParseBearerToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer";
  const std::string_view value = Trim(authorization);
  if (value.size() <= kScheme.size() ||
      !net::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme) ||
      !IsSpace(value[kScheme.size()])) {
    return std::nullopt;
  }
  const std::string_view token = Trim(value.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  for (char c : token) {
    if (IsSpace(c)) return std::nullopt;
  }
  return token;
}

}  // namespace tokenfab::api
