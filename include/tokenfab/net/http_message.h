// HTTP/1.1 messages as plain values: header lists, requests and responses. No Boost types, so any
// layer can include this cheaply. Copyable values, no internal synchronisation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tokenfab::net {

// True when `a` and `b` are equal ignoring ASCII case (header names are case-insensitive).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// An ordered list of header fields; names compare case-insensitively, order and duplicates are
// kept as received.
class HttpHeaders {
 public:
  using Field = std::pair<std::string, std::string>;  // name, value

  HttpHeaders() = default;
  HttpHeaders(std::initializer_list<Field> fields) : fields_(fields) {}

  // The value of the first field named `name`, or nullopt.
  std::optional<std::string_view> Get(std::string_view name) const;
  bool Has(std::string_view name) const { return Get(name).has_value(); }
  // Appends a field (keeps any existing field of that name).
  void Add(std::string name, std::string value);
  // Replaces every field named `name` with one field.
  void Set(std::string_view name, std::string value);
  // Removes every field named `name`.
  void Remove(std::string_view name);

  const std::vector<Field>& fields() const { return fields_; }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

 private:
  std::vector<Field> fields_;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as received (methods are case-sensitive)
  std::string target;  // request-target as received: path and query, e.g. "/v1/models?x=1"
  int version = 11;    // 10 for HTTP/1.0, 11 for HTTP/1.1
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // "ip:port" of the peer; empty for client-side requests
  // The common name of the client's TLS certificate, verified against the server's client CA
  // (mutual TLS); empty without one.
  std::string tls_peer;

  // The target up to '?' (e.g. "/v1/models").
  std::string_view path() const;
  // The target after '?', without it; empty when there is none.
  std::string_view query() const;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;

  // A response with `Content-Type: application/json`.
  static HttpResponse Json(int status, std::string body);
  // A response with `Content-Type: text/plain; charset=utf-8`.
  static HttpResponse Text(int status, std::string body);
};

// The standard reason phrase of a status code ("OK", "Not Found", ...), "Unknown" otherwise.
std::string_view StatusReason(int status);

// True when `token` is a valid HTTP field name (RFC 9110 token characters).
bool IsValidHeaderName(std::string_view name);
// True when `value` holds no CR, LF or NUL (so it cannot split a message).
bool IsValidHeaderValue(std::string_view value);

}  // namespace tokenfab::net
