#include "tokenizer/jinja/unicode.h"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::tokenizer::jinja {
namespace {

constexpr char32_t kEscapeBase = 0xDC00;  // surrogateescape: byte b decodes to U+DC00 + b

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

icu::UnicodeString ToIcu(std::string_view s) {
  icu::UnicodeString u;
  size_t pos = 0;
  while (pos < s.size()) u.append(static_cast<UChar32>(DecodeUtf8(s, &pos)));
  return u;
}

std::string FromIcu(const icu::UnicodeString& u) {
  std::string out;
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
    AppendUtf8(static_cast<char32_t>(u.char32At(i)), &out);
  }
  return out;
}

void AppendMapped(char32_t cp, bool title, std::string* out) {
  icu::UnicodeString u(static_cast<UChar32>(cp));
  if (title) {
    u.toTitle(nullptr, icu::Locale::getRoot(),
              U_TITLECASE_NO_LOWERCASE | U_TITLECASE_NO_BREAK_ADJUSTMENT);
  } else {
    u.toLower(icu::Locale::getRoot());
  }
  out->append(FromIcu(u));
}

}  // namespace

char32_t DecodeUtf8(std::string_view s, size_t* pos) {
  const Utf8Char c = tokenizer::DecodeUtf8(s, *pos);
  if (c.codepoint == kInvalidCodepoint) {
    return kEscapeBase + static_cast<unsigned char>(s[(*pos)++]);
  }
  *pos += c.length;
  return c.codepoint;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp >= kEscapeBase + 0x80 && cp <= kEscapeBase + 0xFF) {
    out->push_back(static_cast<char>(cp - kEscapeBase));
  } else {
    tokenizer::AppendUtf8(cp, out);
  }
}

std::vector<char32_t> ToCodePoints(std::string_view s) {
  std::vector<char32_t> cps;
  cps.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) cps.push_back(DecodeUtf8(s, &pos));
  return cps;
}

std::string FromCodePoints(const std::vector<char32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) AppendUtf8(cp, &out);
  return out;
}

size_t CodePointCount(std::string_view s) {
  size_t count = 0;
  size_t pos = 0;
  while (pos < s.size()) {
    DecodeUtf8(s, &pos);
    ++count;
  }
  return count;
}

bool IsPythonSpace(char32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
  switch (cp) {
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return cp >= 0x2000 && cp <= 0x200A;
  }
}

bool IsLineBoundary(char32_t cp) {
  return cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C || (cp >= 0x1C && cp <= 0x1E) ||
         cp == 0x85 || cp == 0x2028 || cp == 0x2029;
}

bool IsPrintable(char32_t cp) {
  if (cp == ' ') return true;
  if (cp < 0x20 || cp == 0x7F) return false;
  if (cp < 0x7F) return true;
  switch (u_charType(static_cast<UChar32>(cp))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_SURROGATE:
    case U_PRIVATE_USE_CHAR:
    case U_UNASSIGNED:
    case U_LINE_SEPARATOR:
    case U_PARAGRAPH_SEPARATOR:
    case U_SPACE_SEPARATOR:
      return false;
    default:
      return true;
  }
}

std::string Strip(std::string_view s, const std::string* chars, StripSide side) {
  std::vector<char32_t> strip_set;
  if (chars != nullptr) strip_set = ToCodePoints(*chars);
  auto strip = [&](char32_t cp) {
    if (chars == nullptr) return IsPythonSpace(cp);
    return std::find(strip_set.begin(), strip_set.end(), cp) != strip_set.end();
  };
  // Byte offsets of the kept range.
  size_t begin = 0;
  size_t end = s.size();
  if (side != StripSide::kRight) {
    size_t pos = 0;
    while (pos < s.size()) {
      size_t next = pos;
      if (!strip(DecodeUtf8(s, &next))) break;
      pos = next;
    }
    begin = pos;
  }
  if (side != StripSide::kLeft) {
    // Walk forward remembering where the trailing run of stripped characters starts.
    size_t pos = begin;
    size_t run_start = s.size();
    bool in_run = false;
    while (pos < s.size()) {
      size_t start = pos;
      if (strip(DecodeUtf8(s, &pos))) {
        if (!in_run) run_start = start, in_run = true;
      } else {
        in_run = false;
      }
    }
    end = in_run ? run_start : s.size();
  }
  return std::string(s.substr(begin, end - begin));
}

std::string ToUpper(std::string_view s) {
  if (IsAscii(s)) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
  }
  icu::UnicodeString u = ToIcu(s);
  u.toUpper(icu::Locale::getRoot());
  return FromIcu(u);
}

std::string ToLower(std::string_view s) {
  if (IsAscii(s)) {
    std::string out(s);
    for (char& c : out) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  icu::UnicodeString u = ToIcu(s);
  u.toLower(icu::Locale::getRoot());
  return FromIcu(u);
}

std::string ToTitle(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool previous_cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    char32_t cp = DecodeUtf8(s, &pos);
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (previous_cased && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (!previous_cased && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      out.push_back(c);
    } else {
      AppendMapped(cp, /*title=*/!previous_cased, &out);
    }
    previous_cased = IsCased(cp);
  }
  return out;
}

std::string Capitalize(std::string_view s) {
  if (s.empty()) return std::string();
  size_t pos = 0;
  char32_t first = DecodeUtf8(s, &pos);
  std::string out;
  if (first < 0x80) {
    char c = static_cast<char>(first);
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out.push_back(c);
  } else {
    AppendMapped(first, /*title=*/true, &out);
  }
  out += ToLower(s.substr(pos));
  return out;
}

std::string SwapCase(std::string_view s) {
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t start = pos;
    char32_t cp = DecodeUtf8(s, &pos);
    std::string_view one = s.substr(start, pos - start);
    if (IsUpperCase(cp)) {
      out += ToLower(one);
    } else if (IsLowerCase(cp)) {
      out += ToUpper(one);
    } else {
      out += one;
    }
  }
  return out;
}

bool IsAlpha(char32_t cp) { return u_isalpha(static_cast<UChar32>(cp)); }
bool IsDigit(char32_t cp) { return u_isdigit(static_cast<UChar32>(cp)); }
bool IsAlnum(char32_t cp) {
  return IsAlpha(cp) || IsDigit(cp) ||
         u_getIntPropertyValue(static_cast<UChar32>(cp), UCHAR_NUMERIC_TYPE) != U_NT_NONE;
}
bool IsCased(char32_t cp) { return u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_CASED); }
bool IsLowerCase(char32_t cp) {
  return u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_LOWERCASE);
}
bool IsUpperCase(char32_t cp) {
  return u_hasBinaryProperty(static_cast<UChar32>(cp), UCHAR_UPPERCASE);
}

}  // namespace tokenfab::tokenizer::jinja
