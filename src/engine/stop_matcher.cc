#include "tokenfab/engine/stop_matcher.h"

#include <algorithm>
#include <utility>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {

StopMatcher::StopMatcher(std::vector<std::string> stop_strings) {
  for (std::string& s : stop_strings) {
    if (s.empty()) continue;
    max_stop_len_ = std::max(max_stop_len_, s.size());
    stops_.push_back(std::move(s));
  }
}

StopMatcher::Output StopMatcher::Push(std::string_view piece) {
  TF_CHECK(!stopped_) << "text pushed after a stop string matched";
  Output out;
  if (stops_.empty()) {
    out.text.assign(piece.data(), piece.size());
    return out;
  }
  // The held text holds no whole stop string, so a match ends inside `piece`: it starts at most
  // max_stop_len - 1 bytes before it.
  const size_t old_size = buffer_.size();
  buffer_.append(piece.data(), piece.size());
  const size_t from = old_size >= max_stop_len_ ? old_size - max_stop_len_ + 1 : 0;
  size_t best = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const size_t at = buffer_.find(stops_[i], from);
    if (at == std::string::npos) continue;
    if (best == std::string::npos || at < best ||
        (at == best && stops_[i].size() > stops_[out.matched].size())) {
      best = at;
      out.matched = static_cast<int>(i);
    }
  }
  if (best != std::string::npos) {
    out.text = buffer_.substr(0, best);
    out.stopped = stopped_ = true;
    buffer_.clear();
    return out;
  }
  // Hold the longest tail that is a proper prefix of some stop string.
  size_t hold = 0;
  const size_t longest = std::min(buffer_.size(), max_stop_len_ - 1);
  for (size_t len = longest; len > 0 && hold == 0; --len) {
    const std::string_view tail = std::string_view(buffer_).substr(buffer_.size() - len);
    for (const std::string& stop : stops_) {
      if (stop.size() > len && std::string_view(stop).substr(0, len) == tail) {
        hold = len;
        break;
      }
    }
  }
  out.text = buffer_.substr(0, buffer_.size() - hold);
  buffer_.erase(0, buffer_.size() - hold);
  return out;
}

std::string StopMatcher::Flush() { return std::exchange(buffer_, {}); }

}  // namespace tokenfab::engine
