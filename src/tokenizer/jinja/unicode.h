// Unicode functions for the Jinja interpreter: strings are UTF-8 byte strings, and every string
// operation a template can call (length, slicing, strip, split, case mapping, repr) follows
// Python 3's `str` semantics, which index and classify by code point.
//
// Invalid UTF-8 never fails: each byte that does not start a valid sequence decodes to its own
// code point U+DC80..U+DCFF (Python's "surrogateescape") and encodes back to the same byte, so
// a string round-trips unchanged. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tokenfab::tokenizer::jinja {

// Decodes the code point at `s[*pos]` and advances `*pos` past it.
// REQUIRES: *pos < s.size().
char32_t DecodeUtf8(std::string_view s, size_t* pos);

// Appends the UTF-8 encoding of `cp` (a surrogate-escaped byte U+DC80..U+DCFF is written back as
// the raw byte).
void AppendUtf8(char32_t cp, std::string* out);

// The string as code points, and back.
std::vector<char32_t> ToCodePoints(std::string_view s);
std::string FromCodePoints(const std::vector<char32_t>& cps);

// Number of code points (Python's len(str)).
size_t CodePointCount(std::string_view s);

// Python's str.isspace() for one code point: \t \n \v \f \r, U+001C..U+001F, space, U+0085,
// U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000.
bool IsPythonSpace(char32_t cp);

// Python's str.splitlines() line boundaries: \n \r \v \f U+001C..U+001E U+0085 U+2028 U+2029
// (and \r\n as one).
bool IsLineBoundary(char32_t cp);

// Python's str.isprintable() for one code point (used by repr()).
bool IsPrintable(char32_t cp);

// Python's str.strip/lstrip/rstrip: `chars` null strips whitespace, else the given code points.
enum class StripSide { kLeft, kRight, kBoth };
std::string Strip(std::string_view s, const std::string* chars, StripSide side);

// Full Unicode case mappings as Python applies them (ß.upper() == "SS").
std::string ToUpper(std::string_view s);
std::string ToLower(std::string_view s);
// Python's str.title(): a cased character after an uncased one is titlecased, others lowered.
std::string ToTitle(std::string_view s);
// Python's str.capitalize(): first character titlecased, the rest lowered.
std::string Capitalize(std::string_view s);
// Python's str.swapcase().
std::string SwapCase(std::string_view s);

// Character classes (Python's str.isalpha() etc. for one code point).
bool IsAlpha(char32_t cp);
bool IsDigit(char32_t cp);
bool IsAlnum(char32_t cp);
bool IsCased(char32_t cp);
bool IsLowerCase(char32_t cp);
bool IsUpperCase(char32_t cp);

}  // namespace tokenfab::tokenizer::jinja
