#include "tokenfab/api/server_timing.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"

namespace tokenfab::api {

std::string ServerTimingValue(std::string_view name, int64_t micros) {
  return fmt::format("{};dur={:.3f}", name,
                     static_cast<double>(std::max<int64_t>(micros, 0)) / 1e3);
}

std::optional<int64_t> ServerTimingMicros(std::string_view value) {
  double total_ms = 0;
  bool found = false;
  for (absl::string_view metric :
       absl::StrSplit(absl::string_view(value.data(), value.size()), ',')) {
    // name;param=value;param=value; the first piece is the metric's name.
    bool first = true;
    for (absl::string_view param : absl::StrSplit(metric, ';')) {
      if (first) {
        first = false;
        continue;
      }
      const std::vector<absl::string_view> kv = absl::StrSplit(param, absl::MaxSplits('=', 1));
      if (kv.size() != 2 || !absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(kv[0]), "dur")) {
        continue;
      }
      double ms = 0;
      absl::string_view number = absl::StripAsciiWhitespace(kv[1]);
      if (number.size() >= 2 && number.front() == '"' && number.back() == '"') {
        number = number.substr(1, number.size() - 2);
      }
      if (!absl::SimpleAtod(number, &ms) || !std::isfinite(ms) || ms < 0) continue;
      total_ms += ms;
      found = true;
    }
  }
  if (!found) return std::nullopt;
  return std::llround(total_ms * 1e3);
}

}  // namespace tokenfab::api
