#include "tokenfab/net/sse.h"

#include <fmt/format.h>

namespace tokenfab::net {
namespace {

// Calls `fn(line)` for each line of `text` ('\n', "\r\n" or '\r' ends a line); a final line
// without a terminator counts too, and an empty text is one empty line.
template <typename Fn>
void ForEachLine(std::string_view text, Fn&& fn) {
  size_t start = 0;
  while (true) {
    const size_t end = text.find_first_of("\r\n", start);
    if (end == std::string_view::npos) {
      fn(text.substr(start));
      return;
    }
    fn(text.substr(start, end - start));
    start = end + 1;
    if (text[end] == '\r' && start < text.size() && text[start] == '\n') ++start;
    if (start == text.size()) return;
  }
}

bool AllDigits(std::string_view text) {
  if (text.empty() || text.size() > 18) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

void AppendSseEvent(const SseEvent& event, std::string& out) {
  if (!event.event.empty()) {
    // A newline inside a field name would start a new field: keep only the first line.
    out.append("event: ").append(event.event.substr(0, event.event.find_first_of("\r\n")));
    out.push_back('\n');
  }
  if (!event.id.empty()) {
    out.append("id: ").append(event.id.substr(0, event.id.find_first_of("\r\n"))).push_back('\n');
  }
  if (event.retry_ms.has_value())
    fmt::format_to(std::back_inserter(out), "retry: {}\n", *event.retry_ms);
  ForEachLine(event.data,
              [&out](std::string_view line) { out.append("data: ").append(line).push_back('\n'); });
  out.push_back('\n');
}

std::string FormatSseEvent(const SseEvent& event) {
  std::string out;
  AppendSseEvent(event, out);
  return out;
}

std::string FormatSseData(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 8);
  ForEachLine(data,
              [&out](std::string_view line) { out.append("data: ").append(line).push_back('\n'); });
  out.push_back('\n');
  return out;
}

SseParser::SseParser(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

Status SseParser::Feed(std::string_view bytes, const std::function<void(SseEvent&&)>& on_event) {
  if (!status_.ok()) return status_;
  if (at_stream_start_ && !bytes.empty()) {
    // Strip one leading UTF-8 byte order mark, even when it arrives split across reads.
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    const std::string_view pending = std::string_view(line_);
    const size_t have = pending.size();
    const size_t take = std::min(bytes.size(), kBom.size() - have);
    if (kBom.substr(have, take) == bytes.substr(0, take)) {
      if (have + take < kBom.size()) {
        line_.append(bytes.substr(0, take));
        return status_;
      }
      line_.clear();
      bytes.remove_prefix(take);
      at_stream_start_ = false;
    } else {
      at_stream_start_ = false;  // not a BOM: what was held back is ordinary text
    }
  }
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (c != '\r' && c != '\n') continue;
    if (c == '\n' && skip_lf_ && i == start && line_.empty()) {
      // The '\n' of a "\r\n" whose '\r' ended the previous line.
      skip_lf_ = false;
      start = i + 1;
      continue;
    }
    skip_lf_ = (c == '\r');
    if (line_.empty()) {
      ProcessLine(bytes.substr(start, i - start), on_event);
    } else {
      line_.append(bytes.substr(start, i - start));
      std::string line = std::move(line_);
      line_.clear();
      ProcessLine(line, on_event);
    }
    if (!status_.ok()) return status_;
    start = i + 1;
  }
  if (start < bytes.size()) {
    skip_lf_ = false;
    line_.append(bytes.substr(start));
    if (line_.size() + data_.size() > max_event_bytes_) {
      status_ = absl::ResourceExhaustedError(
          fmt::format("server-sent event larger than {} bytes", max_event_bytes_));
    }
  }
  return status_;
}

void SseParser::ProcessLine(std::string_view line,
                            const std::function<void(SseEvent&&)>& on_event) {
  if (line.empty()) {
    const bool dispatch = has_data_;
    has_fields_ = false;
    if (dispatch) {
      SseEvent event;
      event.event = std::move(event_type_);
      event.data = std::move(data_);
      event.id = last_id_;
      event.retry_ms = retry_ms_;
      has_data_ = false;
      data_.clear();
      event_type_.clear();
      retry_ms_.reset();
      on_event(std::move(event));
    } else {
      data_.clear();
      event_type_.clear();
      retry_ms_.reset();
    }
    return;
  }
  if (line.front() == ':') {
    ++comment_count_;
    return;
  }
  has_fields_ = true;
  std::string_view field = line;
  std::string_view value;
  if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
    if (data_.size() > max_event_bytes_) {
      status_ = absl::ResourceExhaustedError(
          fmt::format("server-sent event larger than {} bytes", max_event_bytes_));
    }
  } else if (field == "event") {
    event_type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_.assign(value);
  } else if (field == "retry") {
    if (AllDigits(value)) retry_ms_ = std::stoll(std::string(value));
  }
  // Any other field is ignored, as the spec says.
}

bool SseParser::HasPartialEvent() const { return has_fields_ || !line_.empty(); }

}  // namespace tokenfab::net
