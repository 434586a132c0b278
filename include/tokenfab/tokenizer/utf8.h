// UTF-8 functions: strict decoding (Unicode 15, table 3-7: no overlong forms, no surrogates,
// nothing past U+10FFFF) where each byte of an ill-formed sequence stands alone, so that every
// byte string, valid or not, splits into units whose concatenation is the input. The one UTF-8
// walker of the code base: the tokenizers, the Jinja interpreter (which maps the lone bytes to
// Python's surrogate escapes), the API's response text and the synthetic engine all decode here.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tokenfab::tokenizer {

// The code point reported for one byte of ill-formed input.
inline constexpr char32_t kInvalidCodepoint = 0xFFFFFFFF;

struct Utf8Char {
  char32_t codepoint;  // kInvalidCodepoint for a byte of an ill-formed sequence
  uint32_t length;     // bytes, 1 to 4
};

// Decodes the character starting at text[pos]. REQUIRES: pos < text.size().
// A byte that does not start a well-formed sequence (a stray continuation byte, a truncated or
// overlong sequence, an encoded surrogate, 0xF5..0xFF) decodes as {kInvalidCodepoint, 1}.
Utf8Char DecodeUtf8(std::string_view text, size_t pos);

// Whether `text` is well-formed UTF-8.
bool IsValidUtf8(std::string_view text);

// The length of the longest prefix of `text` that does not end inside a character that more bytes
// could still complete: `text` minus a trailing proper prefix of a well-formed sequence (e.g. the
// first two bytes of a three-byte character). Bytes that can never become valid count as complete.
size_t CompletePrefixLength(std::string_view text);

// Appends the UTF-8 form of `codepoint`. REQUIRES: codepoint <= 0x10FFFF and not a surrogate.
void AppendUtf8(char32_t codepoint, std::string* out);

}  // namespace tokenfab::tokenizer
