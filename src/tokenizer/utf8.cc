#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::tokenizer {
namespace {

// The range the second byte of a sequence must fall in, given its lead byte (table 3-7); the
// third and fourth bytes are always 0x80..0xBF.
struct LeadInfo {
  uint8_t length;  // 0: the byte cannot start a sequence
  uint8_t second_min;
  uint8_t second_max;
};

constexpr LeadInfo Lead(uint8_t b) {
  if (b < 0x80) return {1, 0, 0};
  if (b < 0xC2) return {0, 0, 0};
  if (b < 0xE0) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b < 0xF0) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b < 0xF4) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

bool IsContinuation(uint8_t b) { return (b & 0xC0) == 0x80; }

}  // namespace

Utf8Char DecodeUtf8(std::string_view text, size_t pos) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data()) + pos;
  const size_t avail = text.size() - pos;
  const uint8_t b0 = p[0];
  if (b0 < 0x80) return {b0, 1};
  const LeadInfo lead = Lead(b0);
  if (lead.length == 0 || avail < lead.length) return {kInvalidCodepoint, 1};
  if (p[1] < lead.second_min || p[1] > lead.second_max) return {kInvalidCodepoint, 1};
  switch (lead.length) {
    case 2:
      return {(char32_t{b0} & 0x1F) << 6 | (p[1] & 0x3F), 2};
    case 3:
      if (!IsContinuation(p[2])) return {kInvalidCodepoint, 1};
      return {(char32_t{b0} & 0x0F) << 12 | char32_t(p[1] & 0x3F) << 6 | (p[2] & 0x3F), 3};
    default:
      if (!IsContinuation(p[2]) || !IsContinuation(p[3])) return {kInvalidCodepoint, 1};
      return {(char32_t{b0} & 0x07) << 18 | char32_t(p[1] & 0x3F) << 12 |
                  char32_t(p[2] & 0x3F) << 6 | (p[3] & 0x3F),
              4};
  }
}

bool IsValidUtf8(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    const Utf8Char c = DecodeUtf8(text, pos);
    if (c.codepoint == kInvalidCodepoint) return false;
    pos += c.length;
  }
  return true;
}

size_t CompletePrefixLength(std::string_view text) {
  const auto* p = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  // A held-back tail is at most 3 bytes: a lead byte and up to two continuation bytes.
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const size_t start = n - back;
    const LeadInfo lead = Lead(p[start]);
    if (lead.length == 0) {
      if (IsContinuation(p[start])) continue;  // keep looking for the lead byte
      return n;                                // a byte that can never start a character
    }
    if (lead.length <= back) return n;  // the last character is complete (or ill-formed)
    // A proper prefix of a sequence: incomplete only if every byte so far is allowed.
    if (back >= 2 && (p[start + 1] < lead.second_min || p[start + 1] > lead.second_max)) return n;
    if (back >= 3 && !IsContinuation(p[start + 2])) return n;
    return start;
  }
  return n;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

}  // namespace tokenfab::tokenizer
