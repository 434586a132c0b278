#include "http_wire.h"

#include <fmt/format.h>

#include "tokenfab/base/logging.h"

namespace tokenfab::net {
namespace {

bool IsFramingField(std::string_view name) {
  return EqualsIgnoreCase(name, "Content-Length") || EqualsIgnoreCase(name, "Transfer-Encoding") ||
         EqualsIgnoreCase(name, "Connection");
}

void AppendFields(const HttpHeaders* headers, std::string& out) {
  if (headers == nullptr) return;
  for (const auto& [name, value] : headers->fields()) {
    if (IsFramingField(name)) continue;
    if (!IsValidHeaderName(name) || !IsValidHeaderValue(value)) {
      TF_LOG_WARN("net: dropping invalid header field '{}'", name);
      continue;
    }
    out.append(name).append(": ").append(value).append("\r\n");
  }
}

}  // namespace

void AppendResponseHead(const ResponseHead& head, std::string& out) {
  out.append(head.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  fmt::format_to(std::back_inserter(out), "{} {}\r\n", head.status, StatusReason(head.status));
  if (!head.date.empty()) out.append("Date: ").append(head.date).append("\r\n");
  if (!head.server_name.empty()) out.append("Server: ").append(head.server_name).append("\r\n");
  AppendFields(head.headers, out);
  switch (head.framing) {
    case BodyFraming::kContentLength:
      fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", head.content_length);
      break;
    case BodyFraming::kChunked:
      out.append("Transfer-Encoding: chunked\r\n");
      break;
    case BodyFraming::kUntilClose:
      break;
  }
  const bool keep_alive = head.keep_alive && head.framing != BodyFraming::kUntilClose;
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (head.version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

void AppendChunk(std::string_view data, std::string& out) {
  if (data.empty()) return;
  fmt::format_to(std::back_inserter(out), "{:x}\r\n", data.size());
  out.append(data).append("\r\n");
}

void AppendRequestHead(const RequestHead& head, std::string& out) {
  out.append(head.method).append(" ").append(head.target).append(" HTTP/1.1\r\nHost: ");
  out.append(head.host).append("\r\n");
  AppendFields(head.headers, out);
  const bool has_body_method =
      head.method == "POST" || head.method == "PUT" || head.method == "PATCH";
  if (head.content_length > 0 || has_body_method) {
    fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", head.content_length);
  }
  if (!head.keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

std::string HttpDate(std::time_t time) {
  std::tm tm{};
  gmtime_r(&time, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  return fmt::format("{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} GMT", kDays[tm.tm_wday], tm.tm_mday,
                     kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string_view CurrentHttpDate() {
  thread_local std::time_t cached_second = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    cached = HttpDate(now);
    cached_second = now;
  }
  return cached;
}

}  // namespace tokenfab::net
