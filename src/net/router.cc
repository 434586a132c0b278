#include "tokenfab/net/router.h"

#include <algorithm>

#include "tokenfab/base/check.h"

namespace tokenfab::net {

void Router::Handle(std::string_view method, std::string_view pattern, HttpHandler handler) {
  TF_CHECK(!pattern.empty() && pattern.front() == '/') << "route pattern must start with '/'";
  Route route;
  route.method = std::string(method);
  route.prefix = pattern.size() >= 2 && pattern.substr(pattern.size() - 2) == "/*";
  route.pattern = std::string(route.prefix ? pattern.substr(0, pattern.size() - 1) : pattern);
  for (const Route& existing : routes_) {
    TF_CHECK(!(existing.method == route.method && existing.pattern == route.pattern &&
               existing.prefix == route.prefix))
        << "route " << method << " " << pattern << " added twice";
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

bool Router::Matches(const Route& route, std::string_view path) const {
  if (!route.prefix) return path == route.pattern;
  return path.size() > route.pattern.size() &&
         path.substr(0, route.pattern.size()) == route.pattern;
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match match;
  const Route* best = nullptr;
  std::vector<std::string_view> allowed;  // other methods routed for this path
  for (const Route& route : routes_) {
    if (!Matches(route, path)) continue;
    if (route.method != method) {
      if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
        allowed.push_back(route.method);
      }
      continue;
    }
    const bool better =
        best == nullptr || (best->prefix && !route.prefix) ||
        (best->prefix && route.prefix && route.pattern.size() > best->pattern.size());
    if (better) best = &route;
  }
  for (std::string_view allow : allowed) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += allow;
  }
  match.path_known = best != nullptr || !allowed.empty();
  if (best != nullptr) match.handler = &best->handler;
  return match;
}

}  // namespace tokenfab::net
