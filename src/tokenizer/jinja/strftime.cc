#include "tokenizer/jinja/strftime.h"

#include <time.h>

namespace tokenfab::tokenizer::jinja {
namespace {

constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                 "Thursday", "Friday", "Saturday"};
constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

// A numeric directive: its value, width and default padding ('\0': none).
struct Number {
  int value;
  int width;
  char pad;
};

bool NumericField(char directive, const struct tm& tm, int micros, Number* out) {
  const int hour12 = tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12;
  switch (directive) {
    case 'C':
      *out = {(tm.tm_year + 1900) / 100, 2, '0'};
      return true;
    case 'd':
      *out = {tm.tm_mday, 2, '0'};
      return true;
    case 'e':
      *out = {tm.tm_mday, 2, ' '};
      return true;
    case 'f':
      *out = {micros, 6, '0'};
      return true;
    case 'H':
      *out = {tm.tm_hour, 2, '0'};
      return true;
    case 'I':
      *out = {hour12, 2, '0'};
      return true;
    case 'j':
      *out = {tm.tm_yday + 1, 3, '0'};
      return true;
    case 'k':
      *out = {tm.tm_hour, 2, ' '};
      return true;
    case 'l':
      *out = {hour12, 2, ' '};
      return true;
    case 'm':
      *out = {tm.tm_mon + 1, 2, '0'};
      return true;
    case 'M':
      *out = {tm.tm_min, 2, '0'};
      return true;
    case 'S':
      *out = {tm.tm_sec, 2, '0'};
      return true;
    case 'u':
      *out = {tm.tm_wday == 0 ? 7 : tm.tm_wday, 1, '0'};
      return true;
    case 'w':
      *out = {tm.tm_wday, 1, '0'};
      return true;
    case 'y':
      *out = {tm.tm_year % 100, 2, '0'};
      return true;
    case 'Y':
      *out = {tm.tm_year + 1900, 1, '0'};
      return true;
    default:
      return false;
  }
}

// Directives that stand for a longer format.
const char* Composite(char directive) {
  switch (directive) {
    case 'c':
      return "%a %b %e %H:%M:%S %Y";
    case 'D':
    case 'x':
      return "%m/%d/%y";
    case 'F':
      return "%Y-%m-%d";
    case 'R':
      return "%H:%M";
    case 'T':
    case 'X':
      return "%H:%M:%S";
    default:
      return nullptr;
  }
}

// Text directives; false when `directive` is not one.
bool TextField(char directive, const struct tm& tm, std::string* out) {
  switch (directive) {
    case 'a':
      out->append(std::string_view(kDays[tm.tm_wday]).substr(0, 3));
      return true;
    case 'A':
      out->append(kDays[tm.tm_wday]);
      return true;
    case 'b':
    case 'h':
      out->append(std::string_view(kMonths[tm.tm_mon]).substr(0, 3));
      return true;
    case 'B':
      out->append(kMonths[tm.tm_mon]);
      return true;
    case 'p':
      out->append(tm.tm_hour < 12 ? "AM" : "PM");
      return true;
    case 'n':
      out->push_back('\n');
      return true;
    case 't':
      out->push_back('\t');
      return true;
    case '%':
      out->push_back('%');
      return true;
    case 'z':
    case 'Z':
      return true;
    default:
      return false;
  }
}

void AppendNumber(const Number& number, char flag, std::string* out) {
  char pad = number.pad;
  if (flag == '-') pad = '\0';
  if (flag == '_') pad = ' ';
  if (flag == '0') pad = '0';
  std::string digits = std::to_string(number.value);
  if (pad != '\0') {
    while (static_cast<int>(digits.size()) < number.width) digits.insert(digits.begin(), pad);
  }
  out->append(digits);
}

}  // namespace

std::string FormatTime(std::string_view format, int64_t unix_micros) {
  const int64_t micros = ((unix_micros % 1'000'000) + 1'000'000) % 1'000'000;
  const time_t seconds = static_cast<time_t>((unix_micros - micros) / 1'000'000);
  struct tm tm {};
  gmtime_r(&seconds, &tm);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out.push_back(format[i]);
      continue;
    }
    size_t j = i + 1;
    const char flag = (format[j] == '-' || format[j] == '_' || format[j] == '0') ? format[j] : '\0';
    if (flag != '\0' && ++j >= format.size()) {
      out.append(format.substr(i));
      break;
    }
    Number number{};
    if (NumericField(format[j], tm, static_cast<int>(micros), &number)) {
      AppendNumber(number, flag, &out);
    } else if (const char* expansion = Composite(format[j])) {
      out.append(FormatTime(expansion, unix_micros));
    } else if (!TextField(format[j], tm, &out)) {
      out.append(format.substr(i, j - i + 1));
    }
    i = j;
  }
  return out;
}

}  // namespace tokenfab::tokenizer::jinja
