// Fuzzes the incremental SSE parser: any bytes, split anywhere, must parse without crashing, and
// feeding them in pieces must give the same events as feeding them whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tokenfab/net/sse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 17;  // piece size for the split feed
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto parse = [&](size_t piece) {
    tokenfab::net::SseParser parser(4096);
    std::vector<std::string> events;
    bool ok = true;
    for (size_t at = 0; at < input.size() && ok; at += piece) {
      ok = parser.Feed(input.substr(at, piece), [&](tokenfab::net::SseEvent&& event) {
             events.push_back(event.event + '\x1f' + event.data + '\x1f' + event.id);
           }).ok();
    }
    return std::make_pair(ok, events);
  };
  const auto whole = parse(input.size() + 1);
  const auto pieces = parse(step);
  // The size limit may trip at different points; only compare streams both accepted.
  if (whole.first && pieces.first && whole.second != pieces.second) std::abort();
  return 0;
}
