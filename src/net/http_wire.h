// Serialisation of HTTP/1.1 message heads and chunked framing, as bytes ready for the socket.
// The server and client write these themselves (one buffer per write, so a response head and its
// first chunk leave in one segment). Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

#include "tokenfab/net/http_message.h"

namespace tokenfab::net {

// How the body of a message is delimited.
enum class BodyFraming {
  kContentLength,  // `Content-Length: n`
  kChunked,        // `Transfer-Encoding: chunked` (HTTP/1.1 only)
  kUntilClose,     // no length: the body ends when the connection closes (HTTP/1.0 streaming)
};

struct ResponseHead {
  int status = 200;
  const HttpHeaders* headers = nullptr;  // the handler's fields; may be null
  BodyFraming framing = BodyFraming::kContentLength;
  size_t content_length = 0;  // bytes; kContentLength only
  bool keep_alive = true;
  int version = 11;              // 10 or 11: the request's version
  std::string_view date;         // an RFC 9110 IMF-fixdate, or empty for none
  std::string_view server_name;  // the `Server` field, or empty for none
};

// Appends the status line and header block (ending in the blank line) to `out`. The fields that
// frame the message (Content-Length, Transfer-Encoding, Connection) come from `head`, never from
// `head.headers`; fields whose name or value is invalid are skipped (they would split the message).
void AppendResponseHead(const ResponseHead& head, std::string& out);

// Appends one chunk of chunked transfer coding. An empty `data` appends nothing (an empty chunk
// would end the body).
void AppendChunk(std::string_view data, std::string& out);

// The chunk that ends a chunked body (no trailers).
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

struct RequestHead {
  std::string_view method;
  std::string_view target;
  std::string_view host;  // the `Host` field value, e.g. "127.0.0.1:8080"
  const HttpHeaders* headers = nullptr;
  size_t content_length = 0;  // sent when non-zero or when the method is POST/PUT/PATCH
  bool keep_alive = true;
};

// Appends the request line and header block to `out` (same field rules as responses).
void AppendRequestHead(const RequestHead& head, std::string& out);

// The IMF-fixdate form of `time` (UTC), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
std::string HttpDate(std::time_t time);
// HttpDate of the current second, recomputed once a second per thread; valid until the next
// call on this thread.
std::string_view CurrentHttpDate();

}  // namespace tokenfab::net
