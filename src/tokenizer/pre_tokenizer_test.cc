#include "tokenizer/pre_tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::vector<std::string> Split(std::string_view pre, std::string_view text) {
  StatusOr<PreTokenizer> p = PreTokenizer::ForName(pre);
  EXPECT_TRUE(p.ok()) << p.status();
  std::vector<std::string_view> pieces;
  p->Split(text, &pieces);
  return {pieces.begin(), pieces.end()};
}

struct Case {
  std::string_view text;
  std::vector<std::string> gpt2;
  std::vector<std::string> llama3;
  std::vector<std::string> qwen2;  // empty: same as llama3
};

// Expected splits worked out from the patterns (and checked against a regex engine with the same
// semantics): contractions, optional leading spaces, digit groups, runs of white space with and
// without a final newline, \s as White_Space (U+FEFF and U+200B are not white space).
const Case kCases[] = {
    {"Hello world", {"Hello", " world"}, {"Hello", " world"}, {}},
    {"I'm here, they'RE HE'LL",
     {"I", "'m", " here", ",", " they", "'", "RE", " HE", "'", "LL"},
     {"I", "'m", " here", ",", " they", "'RE", " HE", "'LL"},
     {}},
    {"don't  stop", {"don", "'t", " ", " stop"}, {"don", "'t", " ", " stop"}, {}},
    {"'sup 'S", {"'s", "up", " '", "S"}, {"'s", "up", " '", "S"}, {}},
    {"a   \n\n  b  ", {"a", "   \n\n ", " b", "  "}, {"a", "   \n\n", " ", " b", "  "}, {}},
    {"x\t\ty", {"x", "\t", "\t", "y"}, {"x", "\t", "\ty"}, {}},
    {"1234567 89",
     {"1234567", " 89"},
     {"123", "456", "7", " ", "89"},
     {"1", "2", "3", "4", "5", "6", "7", " ", "8", "9"}},
    {"(hello) [world]",
     {"(", "hello", ")", " [", "world", "]"},
     {"(hello", ")", " [", "world", "]"},
     {}},
    {"   ", {"   "}, {"   "}, {}},
    {"foo\r\n\r\nbar", {"foo", "\r\n\r", "\n", "bar"}, {"foo", "\r\n\r\n", "bar"}, {}},
    {"a\uFEFFb \uFEFF", {"a", "\uFEFF", "b", " \uFEFF"}, {"a", "\uFEFFb", " \uFEFF"}, {}},
    {"a\u200Bb", {"a", "\u200B", "b"}, {"a", "\u200Bb"}, {}},
    {"a\u00A0b c\u3000d",
     {"a", "\u00A0", "b", " c", "\u3000", "d"},
     {"a", "\u00A0b", " c", "\u3000d"},
     {}},
    {"\u017F'\u017F x'\u017Ft",
     {"\u017F", "'", "\u017F", " x", "'", "\u017Ft"},
     {"\u017F", "'\u017F", " x", "'\u017F", "t"},
     {}},
    {"...\n\n\nx", {"...", "\n\n", "\n", "x"}, {"...\n\n\n", "x"}, {}},
    {"\u4F60\u597D\uFF0C\u4E16\u754C\uFF01",
     {"\u4F60\u597D", "\uFF0C", "\u4E16\u754C", "\uFF01"},
     {"\u4F60\u597D", "\uFF0C\u4E16\u754C", "\uFF01"},
     {}},
    {"\u216B\u00BD\U0001D7CE9",
     {"\u216B\u00BD\U0001D7CE9"},
     {"\u216B\u00BD\U0001D7CE", "9"},
     {"\u216B", "\u00BD", "\U0001D7CE", "9"}},
    {" 42", {" 42"}, {" ", "42"}, {" ", "4", "2"}},
    {"x \n y", {"x", " \n", " y"}, {"x", " \n", " y"}, {}},
    {"a.\n", {"a", ".", "\n"}, {"a", ".\n"}, {}},
    {"\u2028a\u2028\u2028b",
     {"\u2028", "a", "\u2028", "\u2028", "b"},
     {"\u2028a", "\u2028", "\u2028b"},
     {}},
    {"", {}, {}, {}},
};

TEST(PreTokenizerTest, SplitsLikeTheReferencePatterns) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(testing::PrintToString(std::string(c.text)));
    EXPECT_THAT(Split("gpt-2", c.text), ElementsAreArray(c.gpt2));
    EXPECT_THAT(Split("llama-bpe", c.text), ElementsAreArray(c.llama3));
    EXPECT_THAT(Split("qwen2", c.text), ElementsAreArray(c.qwen2.empty() ? c.llama3 : c.qwen2));
  }
}

TEST(PreTokenizerTest, IllFormedBytesArePunctuationAndPiecesCoverTheInput) {
  // 0xFF and a truncated 中 behave as characters of no class.
  EXPECT_THAT(Split("gpt-2", "ab\xFF\xE4\xB8 cd"), ElementsAre("ab", "\xFF\xE4\xB8", " cd"));
  const std::string bad_then_letters = std::string("\xFF") + "abc";
  EXPECT_THAT(Split("llama-bpe", bad_then_letters), ElementsAre(bad_then_letters));
  const std::string text = "x\x80\x80 y\xC3\n\n\xF0\x9F";
  for (std::string_view pre : {"gpt-2", "llama-bpe", "qwen2"}) {
    std::string joined;
    for (const std::string& piece : Split(pre, text)) {
      EXPECT_FALSE(piece.empty());
      joined += piece;
    }
    EXPECT_EQ(joined, text) << pre;
  }
}

TEST(PreTokenizerTest, NamesAndAliases) {
  struct Name {
    const char* pre;
    PrePattern pattern;
    bool nfc;
  };
  for (const Name& n :
       {Name{"gpt-2", PrePattern::kGpt2, false}, Name{"phi-2", PrePattern::kGpt2, false},
        Name{"llama-bpe", PrePattern::kLlama3, false}, Name{"llama3", PrePattern::kLlama3, false},
        Name{"dbrx", PrePattern::kLlama3, false}, Name{"qwen2", PrePattern::kQwen2, true},
        Name{"deepseek-r1-qwen", PrePattern::kQwen2, true},
        Name{"stablelm2", PrePattern::kQwen2, false}}) {
    StatusOr<PreTokenizer> p = PreTokenizer::ForName(n.pre);
    ASSERT_TRUE(p.ok()) << n.pre;
    EXPECT_EQ(p->pattern(), n.pattern) << n.pre;
    EXPECT_EQ(p->nfc(), n.nfc) << n.pre;
  }
  StatusOr<PreTokenizer> unknown = PreTokenizer::ForName("deepseek-coder");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_NE(unknown.status().message().find("deepseek-coder"), absl::string_view::npos);
  EXPECT_FALSE(PreTokenizer::ForName("default").ok());
}

}  // namespace
}  // namespace tokenfab::tokenizer
