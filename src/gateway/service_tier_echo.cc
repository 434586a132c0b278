#include "service_tier_echo.h"

#include <boost/json.hpp>

namespace tokenfab::gateway {

std::string WithServiceTier(std::string_view json, std::string_view tier) {
  const size_t open = json.find_first_not_of(" \t\r\n");
  if (open == std::string_view::npos || json[open] != '{') return std::string(json);
  if (json.find("\"service_tier\"") != std::string_view::npos) {
    // Rare (an upstream that names its own tier): parse and replace.
    boost::system::error_code ec;
    boost::json::value parsed = boost::json::parse(json, ec);
    if (ec || !parsed.is_object()) return std::string(json);
    parsed.get_object()["service_tier"] = tier;
    return boost::json::serialize(parsed);
  }
  // The common case, without a parse: the field goes first.
  const size_t next = json.find_first_not_of(" \t\r\n", open + 1);
  const bool empty = next != std::string_view::npos && json[next] == '}';
  std::string out;
  out.reserve(json.size() + tier.size() + 20);
  out.append(json.substr(0, open + 1));
  out.append("\"service_tier\":\"").append(tier).append(empty ? "\"" : "\",");
  out.append(json.substr(open + 1));
  return out;
}

}  // namespace tokenfab::gateway
