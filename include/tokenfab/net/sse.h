// Server-sent events (the `text/event-stream` format of the WHATWG HTML standard, section 9.2):
// a writer that turns events into wire text and an incremental parser that turns bytes, split
// anywhere across reads, back into events.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "tokenfab/base/status.h"

namespace tokenfab::net {

struct SseEvent {
  std::string event;  // the `event:` type; empty means the default type "message"
  std::string data;   // the `data:` lines joined with '\n'
  std::string id;     // the last event id seen so far on the stream (sticky, as the spec says)
  std::optional<int64_t> retry_ms;  // a `retry:` field in this event, milliseconds
};

// Appends the wire form of `event`: `event:`, `id:`, `retry:` when set, one `data:` line per line
// of data ('\n', "\r\n" and '\r' all split lines), and the blank line that dispatches it.
void AppendSseEvent(const SseEvent& event, std::string& out);
std::string FormatSseEvent(const SseEvent& event);
// The common case: an unnamed event carrying `data` ("data: ...\n\n").
std::string FormatSseData(std::string_view data);

// Incremental parser. Feed() it bytes as they arrive, in pieces of any size; it calls back once
// per complete event. Comments are counted and dropped; an event whose data is empty is not
// dispatched (as the spec says). Not thread-safe: one stream, one thread at a time.
class SseParser {
 public:
  // An event (or line) larger than `max_event_bytes` is an error: the stream is bad or hostile.
  explicit SseParser(size_t max_event_bytes = 16 << 20);

  // Parses `bytes`, calling `on_event` for each event completed by them. Returns
  // ResourceExhausted when an event passes the size limit; the parser then stays failed.
  [[nodiscard]] Status Feed(std::string_view bytes,
                            const std::function<void(SseEvent&& event)>& on_event);

  // True when bytes of an unfinished event are buffered: at the end of a stream that means the
  // stream was cut in the middle of an event (which the spec says to drop).
  bool HasPartialEvent() const;
  int64_t comment_count() const { return comment_count_; }

 private:
  void ProcessLine(std::string_view line, const std::function<void(SseEvent&&)>& on_event);

  const size_t max_event_bytes_;
  std::string line_;             // the current, unterminated line
  bool skip_lf_ = false;         // the last byte was '\r': a '\n' right after it ends nothing
  bool at_stream_start_ = true;  // a UTF-8 BOM may still be stripped
  bool has_fields_ = false;      // a field line of the current event was seen
  bool has_data_ = false;        // at least one data line in the current event
  std::string data_;             // data buffer of the current event
  std::string event_type_;       // event type buffer of the current event
  std::string last_id_;          // the last event id buffer (sticky across events)
  std::optional<int64_t> retry_ms_;
  int64_t comment_count_ = 0;
  Status status_;
};

}  // namespace tokenfab::net
