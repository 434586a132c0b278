#include "tokenizer/jinja/unicode.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace tokenfab::tokenizer::jinja {
namespace {

TEST(JinjaUnicodeTest, DecodesWellFormedCharacters) {
  EXPECT_EQ(ToCodePoints("A\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80"),
            (std::vector<char32_t>{U'A', U'\u00E9', U'\u4E2D', U'\U0001F600'}));
  EXPECT_EQ(CodePointCount("\xF4\x8F\xBF\xBF"), 1u);  // U+10FFFF
}

TEST(JinjaUnicodeTest, EachByteOfIllFormedInputEscapesAloneAndRoundTrips) {
  // Python's surrogateescape: each byte that does not start a well-formed sequence is U+DC00 + b.
  struct Case {
    std::string bytes;
    std::vector<char32_t> codepoints;
  };
  for (const Case& c : {
           Case{"\x80", {0xDC80}},                                      // stray continuation
           Case{"\xC0\xAF", {0xDCC0, 0xDCAF}},                          // overlong '/'
           Case{"\xE0\x80\xAF", {0xDCE0, 0xDC80, 0xDCAF}},              // overlong
           Case{"\xED\xA0\x80", {0xDCED, 0xDCA0, 0xDC80}},              // surrogate U+D800
           Case{"\xF4\x90\x80\x80", {0xDCF4, 0xDC90, 0xDC80, 0xDC80}},  // past U+10FFFF
           Case{"\xE4\xB8", {0xDCE4, 0xDCB8}},                          // truncated
           Case{"\xE4\x41", {0xDCE4, U'A'}},                            // lead byte, then ASCII
       }) {
    const std::vector<char32_t> cps = ToCodePoints(c.bytes);
    EXPECT_EQ(cps, c.codepoints) << testing::PrintToString(c.bytes);
    EXPECT_EQ(FromCodePoints(cps), c.bytes);
  }
}

}  // namespace
}  // namespace tokenfab::tokenizer::jinja
