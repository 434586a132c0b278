#include "tokenfab/ledger/money.h"

#include <limits>

#include <fmt/format.h>

namespace tokenfab::ledger {

std::string FormatMicros(Micros amount) {
  // Work on the magnitude as unsigned so that INT64_MIN formats too.
  const bool negative = amount < 0;
  const uint64_t magnitude =
      negative ? ~static_cast<uint64_t>(amount) + 1 : static_cast<uint64_t>(amount);
  return fmt::format("{}{}.{:06}", negative ? "-" : "", magnitude / kMicrosPerUnit,
                     magnitude % kMicrosPerUnit);
}

StatusOr<Micros> ParseMicros(std::string_view text) {
  const std::string original(text);
  auto invalid = [&] {
    return absl::InvalidArgumentError(fmt::format(
        "invalid amount '{}': expected a decimal number with at most 6 fractional digits",
        original));
  };
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty()) return invalid();
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || fraction.size() > 6 || (dot != std::string_view::npos && fraction.empty())) {
    return invalid();
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t units = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return invalid();
    if (units > (kMax - (c - '0')) / 10) return invalid();
    units = units * 10 + (c - '0');
  }
  int64_t micros = 0;
  for (size_t i = 0; i < 6; ++i) {
    const char c = i < fraction.size() ? fraction[i] : '0';
    if (c < '0' || c > '9') return invalid();
    micros = micros * 10 + (c - '0');
  }
  if (units > (kMax - micros) / kMicrosPerUnit) return invalid();
  const int64_t total = units * kMicrosPerUnit + micros;
  return negative ? -total : total;
}

}  // namespace tokenfab::ledger
