#include "tokenfab/tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace tokenfab::tokenizer {
namespace {

TEST(Utf8Test, DecodesWellFormedCharacters) {
  EXPECT_EQ(DecodeUtf8("A", 0).codepoint, U'A');
  const std::string text = "\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // é 中 😀
  Utf8Char c = DecodeUtf8(text, 0);
  EXPECT_EQ(c.codepoint, U'\u00E9');
  EXPECT_EQ(c.length, 2u);
  c = DecodeUtf8(text, 2);
  EXPECT_EQ(c.codepoint, U'\u4E2D');
  EXPECT_EQ(c.length, 3u);
  c = DecodeUtf8(text, 5);
  EXPECT_EQ(c.codepoint, U'\U0001F600');
  EXPECT_EQ(c.length, 4u);
  EXPECT_EQ(DecodeUtf8("\xF4\x8F\xBF\xBF", 0).codepoint, U'\U0010FFFF');
}

TEST(Utf8Test, EachByteOfIllFormedInputStandsAlone) {
  for (std::string_view bad : {
           std::string_view("\x80"),              // stray continuation
           std::string_view("\xC0\xAF"),          // overlong '/'
           std::string_view("\xE0\x80\xAF"),      // overlong
           std::string_view("\xED\xA0\x80"),      // surrogate U+D800
           std::string_view("\xF4\x90\x80\x80"),  // past U+10FFFF
           std::string_view("\xF5\x80\x80\x80"),  // never a lead byte
           std::string_view("\xE4\xB8"),          // truncated
           std::string_view("\xE4\x41\x42"),      // lead byte, then ASCII
       }) {
    const Utf8Char c = DecodeUtf8(bad, 0);
    EXPECT_EQ(c.codepoint, kInvalidCodepoint) << testing::PrintToString(bad);
    EXPECT_EQ(c.length, 1u);
    EXPECT_FALSE(IsValidUtf8(bad));
  }
  EXPECT_TRUE(IsValidUtf8("plain \xE4\xB8\xAD"));
  EXPECT_TRUE(IsValidUtf8(""));
}

TEST(Utf8Test, TheEdgesOfEachRangeAreExact) {
  // The first and last code point of each well-formed range decodes; one step past it does not.
  struct Case {
    std::string_view bytes;
    char32_t codepoint;  // kInvalidCodepoint: the first byte stands alone
  };
  for (const Case& c : {
           Case{"\xC2\x80", U'\u0080'}, Case{"\xC1\xBF", kInvalidCodepoint},  // overlong U+007F
           Case{"\xE0\xA0\x80", U'\u0800'},
           Case{"\xE0\x9F\xBF", kInvalidCodepoint},  // overlong U+07FF
           Case{"\xED\x9F\xBF", U'\uD7FF'},
           Case{"\xED\xBF\xBF", kInvalidCodepoint},  // surrogate U+DFFF
           Case{"\xEE\x80\x80", U'\uE000'}, Case{"\xF0\x90\x80\x80", U'\U00010000'},
           Case{"\xF0\x8F\xBF\xBF", kInvalidCodepoint},  // overlong U+FFFF
           Case{"\xF4\x8F\xBF\xBF", U'\U0010FFFF'},
           Case{"\xF7\xBF\xBF\xBF", kInvalidCodepoint},  // U+1FFFFF
           Case{"\xF0\x9F\x98", kInvalidCodepoint},      // truncated
       }) {
    const Utf8Char got = DecodeUtf8(c.bytes, 0);
    EXPECT_EQ(got.codepoint, c.codepoint) << testing::PrintToString(c.bytes);
    EXPECT_EQ(got.length, c.codepoint == kInvalidCodepoint ? 1u : c.bytes.size());
  }
}

TEST(Utf8Test, CompletePrefixHoldsBackOnlyWhatMoreBytesCouldComplete) {
  EXPECT_EQ(CompletePrefixLength(""), 0u);
  EXPECT_EQ(CompletePrefixLength("abc"), 3u);
  EXPECT_EQ(CompletePrefixLength("ab\xE4"), 2u);
  EXPECT_EQ(CompletePrefixLength("ab\xE4\xB8"), 2u);
  EXPECT_EQ(CompletePrefixLength("ab\xE4\xB8\xAD"), 5u);
  EXPECT_EQ(CompletePrefixLength("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(CompletePrefixLength("\xF0\x9F\x98\x80"), 4u);
  // Bytes that can never complete a character are not held back.
  EXPECT_EQ(CompletePrefixLength("a\x80"), 2u);
  EXPECT_EQ(CompletePrefixLength("a\xFF"), 2u);
  EXPECT_EQ(CompletePrefixLength("a\xE0\x80"), 3u);  // E0 needs A0..BF next
  EXPECT_EQ(CompletePrefixLength("a\xED\xA0"), 3u);  // would be a surrogate
  EXPECT_EQ(CompletePrefixLength("a\xE4"
                                 "A"),
            3u);
  EXPECT_EQ(CompletePrefixLength("\x80\x80\x80"), 3u);
}

TEST(Utf8Test, AppendEncodesEveryLength) {
  std::string out;
  for (char32_t cp : {U'A', U'\u00E9', U'\u4E2D', U'\U0001F600'}) AppendUtf8(cp, &out);
  EXPECT_EQ(out, "A\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80");
}

}  // namespace
}  // namespace tokenfab::tokenizer
