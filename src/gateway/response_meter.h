// ResponseMeter: reads an upstream's answer as it passes through the gateway, to meter it and to
// decide what the client gets. For each server-sent event of a stream it notes the usage the
// upstream reports (prompt, cached and completion tokens), the generated text (so tokens can be
// counted when no usage comes, e.g. for a stream cut short), when content first and last came,
// and any error; and it tells the relay whether to pass the event on, drop it (the usage-only
// chunk the gateway asked for on its own, when the client did not ask for usage), or hold it (the
// final "[DONE]", which goes out only once the request is in the ledger).
//
// One per attempt at an upstream; not thread-safe (the relay calls it on one I/O loop).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "inference_request.h"

namespace tokenfab::gateway {

// Usage as an upstream reported it. Plain data.
struct ReportedUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;
};

class ResponseMeter {
 public:
  enum class Action {
    kForward,     // send the event to the client as it is
    kStripUsage,  // send it without its `usage` member (the client did not ask for usage, and
                  // this upstream puts usage on its last content chunk anyway)
    kDrop,        // the client does not get it
    kDone,     // the "[DONE]" marker: hold it until the request is recorded
  };

  ResponseMeter(api::Endpoint endpoint, bool client_wants_usage)
      : endpoint_(endpoint), client_wants_usage_(client_wants_usage) {}

  // One event's data, at `now_micros`. Events that are not JSON are forwarded and otherwise
  // ignored (the upstream's business).
  Action OnEvent(std::string_view data, int64_t now_micros);
  // `data` (a JSON object) without its `usage` member.
  static std::string WithoutUsage(std::string_view data);
  // A whole (non-streamed) JSON answer received at `now_micros`.
  void OnBody(std::string_view body, int64_t now_micros);

  const std::optional<ReportedUsage>& usage() const { return usage_; }
  // The generated text (content and reasoning) seen so far.
  const std::string& text() const { return text_; }
  int64_t content_events() const { return content_events_; }
  int64_t first_content_micros() const { return first_content_micros_; }  // 0: none yet
  int64_t last_content_micros() const { return last_content_micros_; }
  bool saw_done() const { return saw_done_; }
  // The message of an `error` object the upstream sent in the stream, if any.
  const std::optional<std::string>& error() const { return error_; }
  // The finish_reason of the first choice, once given.
  const std::optional<std::string>& finish_reason() const { return finish_reason_; }

 private:
  // Reads one answer object (a chunk or a whole answer). Returns whether it had content and
  // whether it is a usage-only chunk (empty choices).
  struct Seen {
    bool content = false;
    bool usage = false;       // has a usage member
    bool usage_only = false;  // ... and no choices
  };
  Seen Read(std::string_view json, bool whole);

  const api::Endpoint endpoint_;
  const bool client_wants_usage_;
  std::optional<ReportedUsage> usage_;
  std::string text_;
  int64_t content_events_ = 0;
  int64_t first_content_micros_ = 0;
  int64_t last_content_micros_ = 0;
  bool saw_done_ = false;
  std::optional<std::string> error_;
  std::optional<std::string> finish_reason_;
};

}  // namespace tokenfab::gateway
