// StopMatcher: finds a request's stop strings in its streamed text so that a stop string is
// never emitted, even when it arrives split across several tokens' pieces.
//
// Text goes in piece by piece (each piece ends at a UTF-8 character boundary, as the streaming
// detokenizer emits it). Push() returns what may be sent to the client now: everything except a
// tail that could still be the beginning of a stop string, which is held back until the next
// pieces show whether it is one. When a stop string is complete, Push() returns the text before
// its first occurrence and reports the match; the stop string and everything after it are
// dropped (the OpenAI API's behaviour). At the end of a stream without a match, Flush() returns
// the held tail.
//
// Matching is on bytes; since stop strings are themselves UTF-8, held and released text always
// splits at character boundaries. With several stop strings, the one that starts earliest in
// the text wins (the longest on a tie).
//
// Not thread-safe; one per request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tokenfab::engine {

class StopMatcher {
 public:
  struct Output {
    std::string text;  // to emit now
    bool stopped = false;
    int matched = -1;  // index of the stop string found, when stopped
  };

  // Empty stop strings are ignored (SamplingParams::Validate rejects them).
  explicit StopMatcher(std::vector<std::string> stop_strings);

  // REQUIRES: not stopped yet.
  Output Push(std::string_view piece);
  // The held text, at the end of a stream that did not stop; then empty.
  std::string Flush();

  bool stopped() const { return stopped_; }
  // Bytes currently held back.
  size_t held() const { return buffer_.size(); }

 private:
  std::vector<std::string> stops_;
  size_t max_stop_len_ = 0;
  std::string buffer_;  // pushed text not yet released; never contains a whole stop string
  bool stopped_ = false;
};

}  // namespace tokenfab::engine
