// Router: maps (method, path) to the handler that serves it. Built before the server starts, then
// read-only: Find() is safe from any number of threads; Handle() is not thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tokenfab::net {

class HttpExchange;

// Serves one request. Runs on the connection's I/O thread and must not block: it answers at once
// (Respond) or keeps the exchange and answers later from any thread (see http_exchange.h).
using HttpHandler = std::function<void(std::shared_ptr<HttpExchange> exchange)>;

class Router {
 public:
  // Routes `method` requests for `pattern` to `handler`. `pattern` is an exact path
  // ("/v1/models") or a prefix ending in "/*" ("/v1/models/*" matches "/v1/models/x/y" but not
  // "/v1/models"). Exact patterns win over prefixes; longer prefixes over shorter ones.
  // REQUIRES: the same (method, pattern) is not routed twice.
  void Handle(std::string_view method, std::string_view pattern, HttpHandler handler);

  struct Match {
    const HttpHandler* handler = nullptr;  // null when nothing matches
    bool path_known = false;  // some method is routed for this path (so the answer is 405)
    std::string allow;        // those methods, comma-separated, for the `Allow` field
  };
  // The handler for (method, path); path excludes the query string.
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;  // exact path, or the prefix without the trailing '*'
    bool prefix = false;
    HttpHandler handler;
  };
  bool Matches(const Route& route, std::string_view path) const;

  std::vector<Route> routes_;
};

}  // namespace tokenfab::net
