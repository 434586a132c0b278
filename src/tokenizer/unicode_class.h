// The character classes the pre-tokenizer patterns test, \p{L}, \p{N} and \s, for every code
// point, at the Unicode version of the reference tokenizers.
//
// tiktoken (OpenAI's Rust code, also in its npm WASM build) matches its patterns with the Rust
// `regex` crate, whose tables are Unicode 16.0: \p{L} = Lu|Ll|Lt|Lm|Lo, \p{N} = Nd|Nl|No, and \s
// = the White_Space property (which excludes U+FEFF, U+180E and U+200B, unlike JavaScript's \s).
// The table is built once from ICU; letters and numbers that ICU's data lacks because it is older
// than 16.0 (ICU 72 is Unicode 15.0) are added from a short list, and code points ICU assigns
// after 16.0 are treated as unassigned, so the answer does not depend on the installed ICU.
// Thread-safe (the table is built on first use and never changes).
#pragma once

#include <cstdint>

namespace tokenfab::tokenizer {

enum CharClass : uint8_t {
  kCharOther = 0,  // neither letter, number nor white space (also every ill-formed byte)
  kCharLetter = 1,
  kCharNumber = 2,
  kCharWhitespace = 4,
};

// The Unicode version ClassifyCodepoint follows.
inline constexpr const char* kCharClassUnicodeVersion = "16.0";

// One of the CharClass values. Code points past U+10FFFF (kInvalidCodepoint) are kCharOther.
CharClass ClassifyCodepoint(char32_t codepoint);

}  // namespace tokenfab::tokenizer
