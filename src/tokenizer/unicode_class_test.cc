#include "tokenizer/unicode_class.h"

#include <gtest/gtest.h>

#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::tokenizer {
namespace {

TEST(UnicodeClassTest, Ascii) {
  EXPECT_EQ(ClassifyCodepoint(U'a'), kCharLetter);
  EXPECT_EQ(ClassifyCodepoint(U'Z'), kCharLetter);
  EXPECT_EQ(ClassifyCodepoint(U'7'), kCharNumber);
  EXPECT_EQ(ClassifyCodepoint(U' '), kCharWhitespace);
  EXPECT_EQ(ClassifyCodepoint(U'\t'), kCharWhitespace);
  EXPECT_EQ(ClassifyCodepoint(U'\v'), kCharWhitespace);
  EXPECT_EQ(ClassifyCodepoint(U'\x1C'), kCharOther);  // \s in Python, not White_Space
  EXPECT_EQ(ClassifyCodepoint(U'\''), kCharOther);
  EXPECT_EQ(ClassifyCodepoint(U'_'), kCharOther);
  EXPECT_EQ(ClassifyCodepoint(0), kCharOther);
}

TEST(UnicodeClassTest, WhiteSpaceIsThePropertyNotJavaScriptsBackslashS) {
  for (char32_t cp : {U'\u0085', U'\u00A0', U'\u1680', U'\u2000', U'\u200A', U'\u2028', U'\u2029',
                      U'\u202F', U'\u205F', U'\u3000'}) {
    EXPECT_EQ(ClassifyCodepoint(cp), kCharWhitespace) << std::hex << static_cast<uint32_t>(cp);
  }
  // JavaScript's \s matches U+FEFF; White_Space (Rust's \s) does not, nor U+180E (since Unicode
  // 6.3) or the zero-width characters.
  for (char32_t cp : {U'\uFEFF', U'\u180E', U'\u200B', U'\u200C', U'\u200D', U'\u2060'}) {
    EXPECT_EQ(ClassifyCodepoint(cp), kCharOther) << std::hex << static_cast<uint32_t>(cp);
  }
}

TEST(UnicodeClassTest, LettersAndNumbersBeyondAscii) {
  EXPECT_EQ(ClassifyCodepoint(U'\u4E2D'), kCharLetter);      // 中
  EXPECT_EQ(ClassifyCodepoint(U'\u3042'), kCharLetter);      // あ
  EXPECT_EQ(ClassifyCodepoint(U'\u30FC'), kCharLetter);      // ー (Lm)
  EXPECT_EQ(ClassifyCodepoint(U'\u017F'), kCharLetter);      // ſ
  EXPECT_EQ(ClassifyCodepoint(U'\u0301'), kCharOther);       // combining acute (Mn)
  EXPECT_EQ(ClassifyCodepoint(U'\u216B'), kCharNumber);      // Ⅻ (Nl)
  EXPECT_EQ(ClassifyCodepoint(U'\u00BD'), kCharNumber);      // ½ (No)
  EXPECT_EQ(ClassifyCodepoint(U'\U0001D7CE'), kCharNumber);  // 𝟎 (Nd, plane 1)
  EXPECT_EQ(ClassifyCodepoint(U'\u0663'), kCharNumber);      // ٣
  EXPECT_EQ(ClassifyCodepoint(U'\U0001F600'), kCharOther);   // 😀
  EXPECT_EQ(ClassifyCodepoint(U'\uE000'), kCharOther);       // private use
  EXPECT_EQ(ClassifyCodepoint(U'\U0010FFFF'), kCharOther);
  EXPECT_EQ(ClassifyCodepoint(kInvalidCodepoint), kCharOther);
}

TEST(UnicodeClassTest, FollowsUnicode16NotTheInstalledIcu) {
  // Assigned in Unicode 15.1 (CJK Extension I) and 16.0: letters and digits, as tiktoken has them.
  EXPECT_EQ(ClassifyCodepoint(U'\U0002EBF0'), kCharLetter);
  EXPECT_EQ(ClassifyCodepoint(U'\u1C89'), kCharLetter);      // CYRILLIC CAPITAL LETTER TJE
  EXPECT_EQ(ClassifyCodepoint(U'\U00011380'), kCharLetter);  // TULU-TIGALARI LETTER A
  EXPECT_EQ(ClassifyCodepoint(U'\U00010D40'), kCharNumber);  // GARAY DIGIT ZERO
  EXPECT_EQ(ClassifyCodepoint(U'\U0001E5F1'), kCharNumber);  // OL ONAL DIGIT ZERO
  // Assigned in Unicode 17.0: not yet letters for a Unicode 16.0 matcher.
  EXPECT_EQ(ClassifyCodepoint(U'\U0001E6C0'), kCharOther);
  EXPECT_EQ(ClassifyCodepoint(U'\U000323B0'), kCharOther);
  EXPECT_EQ(ClassifyCodepoint(U'\u088F'), kCharOther);
}

}  // namespace
}  // namespace tokenfab::tokenizer
