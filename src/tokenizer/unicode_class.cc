#include "tokenizer/unicode_class.h"

#include <unicode/uchar.h>
#include <unicode/uversion.h>

#include <array>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace tokenfab::tokenizer {
namespace {

constexpr char32_t kMaxCodepoint = 0x10FFFF;
constexpr int kBlockBits = 8;
constexpr char32_t kBlockSize = char32_t{1} << kBlockBits;
constexpr size_t kNumBlocks = (kMaxCodepoint + 1) >> kBlockBits;

struct Range {
  char32_t first;
  char32_t last;
  CharClass char_class;
};

// Letters and numbers assigned in Unicode 15.1 (CJK Extension I) and 16.0, which ICU releases
// before 76 do not know. Checked against tiktoken: each of these is \p{L} or \p{N} there.
constexpr Range kUnicode16Additions[] = {
    {0x1C89, 0x1C8A, kCharLetter},   {0xA7CB, 0xA7CD, kCharLetter},
    {0xA7DA, 0xA7DC, kCharLetter},   {0x105C0, 0x105F3, kCharLetter},
    {0x10D40, 0x10D49, kCharNumber}, {0x10D4A, 0x10D65, kCharLetter},
    {0x10D6F, 0x10D85, kCharLetter}, {0x10EC2, 0x10EC4, kCharLetter},
    {0x11380, 0x11389, kCharLetter}, {0x1138B, 0x1138B, kCharLetter},
    {0x1138E, 0x1138E, kCharLetter}, {0x11390, 0x113B5, kCharLetter},
    {0x113B7, 0x113B7, kCharLetter}, {0x113D1, 0x113D1, kCharLetter},
    {0x113D3, 0x113D3, kCharLetter}, {0x116D0, 0x116E3, kCharNumber},
    {0x11BC0, 0x11BE0, kCharLetter}, {0x11BF0, 0x11BF9, kCharNumber},
    {0x13460, 0x143FA, kCharLetter}, {0x16100, 0x1611D, kCharLetter},
    {0x16130, 0x16139, kCharNumber}, {0x16D40, 0x16D6C, kCharLetter},
    {0x16D70, 0x16D79, kCharNumber}, {0x18CFF, 0x18CFF, kCharLetter},
    {0x1CCF0, 0x1CCF9, kCharNumber}, {0x1E5D0, 0x1E5ED, kCharLetter},
    {0x1E5F0, 0x1E5F0, kCharLetter}, {0x1E5F1, 0x1E5FA, kCharNumber},
    {0x2EBF0, 0x2EE5D, kCharLetter},
};

// The class ICU gives `c`, or kCharOther when ICU assigns `c` only after Unicode 16.0.
CharClass IcuClass(UChar32 c) {
  UVersionInfo age;
  u_charAge(c, age);
  if (age[0] > 16) return kCharOther;
  CharClass result = kCharOther;
  switch (u_charType(c)) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      result = kCharLetter;
      break;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      result = kCharNumber;
      break;
    default:
      break;
  }
  // White_Space code points are all of category Zs, Zl, Zp or Cc: never letters or numbers.
  if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) result = kCharWhitespace;
  return result;
}

// A two-stage table: block index per 256 code points, then the deduplicated blocks.
class CharClassTable {
 public:
  CharClassTable() {
    std::vector<uint8_t> all(kMaxCodepoint + 1);
    for (char32_t c = 0; c <= kMaxCodepoint; ++c) all[c] = IcuClass(static_cast<UChar32>(c));
    for (const Range& range : kUnicode16Additions) {
      for (char32_t c = range.first; c <= range.last; ++c) all[c] = range.char_class;
    }
    absl::flat_hash_map<std::string_view, uint16_t> seen;  // block content -> block number
    for (size_t block = 0; block < kNumBlocks; ++block) {
      std::string_view data(reinterpret_cast<const char*>(all.data()) + block * kBlockSize,
                            kBlockSize);
      auto [it, inserted] = seen.try_emplace(data, static_cast<uint16_t>(seen.size()));
      if (inserted) blocks_.insert(blocks_.end(), data.begin(), data.end());
      index_[block] = it->second;
    }
  }

  CharClass Get(char32_t c) const {
    if (c > kMaxCodepoint) return kCharOther;
    return static_cast<CharClass>(
        blocks_[(size_t{index_[c >> kBlockBits]} << kBlockBits) | (c & (kBlockSize - 1))]);
  }

 private:
  std::array<uint16_t, kNumBlocks> index_{};
  std::vector<uint8_t> blocks_;
};

// ASCII, without touching the big table.
constexpr std::array<uint8_t, 128> MakeAsciiTable() {
  std::array<uint8_t, 128> t{};
  for (int c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) t[c] = kCharLetter;
    if (c >= '0' && c <= '9') t[c] = kCharNumber;
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) t[c] = kCharWhitespace;
  }
  return t;
}
constexpr std::array<uint8_t, 128> kAscii = MakeAsciiTable();

}  // namespace

CharClass ClassifyCodepoint(char32_t codepoint) {
  if (codepoint < 0x80) return static_cast<CharClass>(kAscii[codepoint]);
  static const CharClassTable* const table = new CharClassTable();
  return table->Get(codepoint);
}

}  // namespace tokenfab::tokenizer
