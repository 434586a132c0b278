#include "tokenizer/byte_level.h"

#include <array>

#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::tokenizer {
namespace {

constexpr bool StandsForItself(int b) {
  return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<char32_t, 256> byte_to_char{};
  std::array<int16_t, 0x144> char_to_byte{};  // -1: not in the alphabet
};

constexpr Tables MakeTables() {
  Tables t;
  for (auto& b : t.char_to_byte) b = -1;
  char32_t next = 0x100;
  for (int b = 0; b < 256; ++b) {
    t.byte_to_char[b] = StandsForItself(b) ? static_cast<char32_t>(b) : next++;
    t.char_to_byte[t.byte_to_char[b]] = static_cast<int16_t>(b);
  }
  return t;
}

constexpr Tables kTables = MakeTables();

}  // namespace

char32_t ByteLevelChar(uint8_t b) { return kTables.byte_to_char[b]; }

void ByteLevelEncode(std::string_view bytes, std::string* out) {
  for (char c : bytes) AppendUtf8(kTables.byte_to_char[static_cast<uint8_t>(c)], out);
}

bool ByteLevelDecode(std::string_view text, std::string* out) {
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char c = DecodeUtf8(text, pos);
    if (c.codepoint >= kTables.char_to_byte.size() || kTables.char_to_byte[c.codepoint] < 0) {
      return false;
    }
    out->push_back(static_cast<char>(kTables.char_to_byte[c.codepoint]));
    pos += c.length;
  }
  return true;
}

}  // namespace tokenfab::tokenizer
