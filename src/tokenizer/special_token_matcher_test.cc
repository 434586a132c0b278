#include "tokenizer/special_token_matcher.h"

#include <gtest/gtest.h>

namespace tokenfab::tokenizer {
namespace {

TEST(SpecialTokenMatcherTest, FindsLeftmostThenLongest) {
  SpecialTokenMatcher m;
  m.Add("<|reserved_1|>", 1);
  m.Add("<|reserved_10|>", 10);
  m.Add("<s>", 3);
  m.Add("s>x", 4);
  const std::string text = "ab<|reserved_10|>cd<s>x";
  SpecialTokenMatcher::Match match = m.Find(text, 0);
  EXPECT_EQ(match.pos, 2u);
  EXPECT_EQ(match.length, 15u);
  EXPECT_EQ(match.id, 10);
  match = m.Find(text, match.pos + match.length);
  EXPECT_EQ(match.pos, 19u);  // "<s>" starts before "s>x"
  EXPECT_EQ(match.id, 3);
  match = m.Find(text, 22);
  EXPECT_EQ(match.length, 0u);
  EXPECT_EQ(match.pos, text.size());
}

TEST(SpecialTokenMatcherTest, PartialTextsDoNotMatch) {
  SpecialTokenMatcher m;
  m.Add("<|im_end|>", 7);
  EXPECT_EQ(m.Find("<|im_end| <|im_en", 0).length, 0u);
  EXPECT_EQ(m.Find("<|im_end|><|im_end|>", 1).pos, 10u);
}

TEST(SpecialTokenMatcherTest, EmptyMatcherAndEmptyTexts) {
  SpecialTokenMatcher m;
  EXPECT_TRUE(m.empty());
  m.Add("", 5);
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.Find("anything", 0).length, 0u);
  m.Add("a", 1);
  m.Add("a", 2);  // the first id stays
  EXPECT_EQ(m.Find("xa", 0).id, 1);
}

}  // namespace
}  // namespace tokenfab::tokenizer
