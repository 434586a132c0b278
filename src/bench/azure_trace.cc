// The Azure LLM inference trace 2023: CSV with header `TIMESTAMP,ContextTokens,GeneratedTokens`,
// TIMESTAMP as `YYYY-MM-DD HH:MM:SS.fffffff` (naive local time, up to 100 ns resolution).
#include <charconv>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "tokenfab/bench/trace.h"

namespace tokenfab::bench {
namespace {

// Days from 1970-01-01 to the given civil date (proleptic Gregorian; H. Hinnant's algorithm).
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

bool ParseInt(std::string_view text, int64_t& out) {
  if (text.empty()) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool ParseFixed(std::string_view text, size_t pos, size_t len, int64_t& out) {
  if (pos + len > text.size()) return false;
  for (size_t i = pos; i < pos + len; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return ParseInt(text.substr(pos, len), out);
}

// "2023-11-16 18:15:46.6805900" → µs since the epoch of the naive time (only differences matter).
bool ParseTimestamp(std::string_view text, int64_t& micros) {
  int64_t year, month, day, hour, minute, second;
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':' ||
      !ParseFixed(text, 0, 4, year) || !ParseFixed(text, 5, 2, month) ||
      !ParseFixed(text, 8, 2, day) || !ParseFixed(text, 11, 2, hour) ||
      !ParseFixed(text, 14, 2, minute) || !ParseFixed(text, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  int64_t fraction_us = 0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20) return false;
    const std::string_view digits = text.substr(20);
    if (digits.size() > 9) return false;
    int64_t value;
    if (!ParseFixed(digits, 0, digits.size(), value)) return false;
    // Scale the fraction to nanoseconds, then truncate to µs.
    for (size_t i = digits.size(); i < 9; ++i) value *= 10;
    fraction_us = value / 1000;
  }
  const int64_t days = DaysFromCivil(year, static_cast<int>(month), static_cast<int>(day));
  micros = ((days * 24 + hour) * 60 + minute) * 60'000'000 + second * 1'000'000 + fraction_us;
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return text;
}

}  // namespace

StatusOr<std::vector<TraceRequest>> ParseAzureTrace(std::string_view text,
                                                    std::string_view source) {
  std::vector<TraceRequest> requests;
  int64_t first_us = 0;
  int64_t previous_us = 0;
  size_t line_number = 0;
  bool header_seen = false;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_number;
    if (line.empty()) continue;
    auto error = [&](std::string_view problem) {
      return absl::InvalidArgumentError(
          fmt::format("{}:{}: {} in Azure trace row '{}'", source, line_number, problem, line));
    };
    if (!header_seen) {
      if (line.rfind("TIMESTAMP,ContextTokens,GeneratedTokens", 0) != 0) {
        return error("expected the header TIMESTAMP,ContextTokens,GeneratedTokens");
      }
      header_seen = true;
      continue;
    }
    const size_t comma1 = line.find(',');
    const size_t comma2 = comma1 == std::string_view::npos ? comma1 : line.find(',', comma1 + 1);
    if (comma2 == std::string_view::npos || line.find(',', comma2 + 1) != std::string_view::npos) {
      return error("expected three fields");
    }
    int64_t at_us, input, output;
    if (!ParseTimestamp(Trim(line.substr(0, comma1)), at_us)) return error("bad TIMESTAMP");
    if (!ParseInt(Trim(line.substr(comma1 + 1, comma2 - comma1 - 1)), input) || input < 0 ||
        input > 100'000'000) {
      return error("bad ContextTokens");
    }
    if (!ParseInt(Trim(line.substr(comma2 + 1)), output) || output < 0 || output > 100'000'000) {
      return error("bad GeneratedTokens");
    }
    if (requests.empty()) first_us = at_us;
    if (!requests.empty() && at_us < previous_us) return error("timestamp goes backwards");
    previous_us = at_us;
    TraceRequest request;
    request.arrival_us = at_us - first_us;
    request.input_tokens = static_cast<int>(input);
    request.output_tokens = static_cast<int>(output);
    requests.push_back(std::move(request));
  }
  if (!header_seen) return absl::InvalidArgumentError(fmt::format("{}: empty Azure trace", source));
  return requests;
}

}  // namespace tokenfab::bench
