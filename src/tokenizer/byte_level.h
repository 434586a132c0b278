// The byte <-> character mapping of byte-level BPE vocabularies (GPT-2's bytes_to_unicode): each
// of the 256 byte values is spelled as one printable character in the token texts a GGUF file
// stores, e.g. the space 0x20 as "Ġ" (U+0120) and the newline 0x0A as "Ċ" (U+010A). Printable
// Latin-1 bytes stand for themselves; the other 68 go to U+0100 onwards in byte order.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tokenfab::tokenizer {

// The character that spells byte `b`.
char32_t ByteLevelChar(uint8_t b);

// Appends the spelling of `bytes` (UTF-8) to `out`.
void ByteLevelEncode(std::string_view bytes, std::string* out);

// Appends the bytes a token text spells to `out`. Returns false, leaving `out` with what was
// decoded so far, when the text holds a character outside the 256-character alphabet.
[[nodiscard]] bool ByteLevelDecode(std::string_view text, std::string* out);

}  // namespace tokenfab::tokenizer
