#include "tokenizer/normalizer.h"

#include <gtest/gtest.h>

namespace tokenfab::tokenizer {
namespace {

std::string Nfc(std::string_view text) {
  std::string out;
  AppendNfc(text, &out);
  return out;
}

TEST(NormalizerTest, ComposesAndReorders) {
  EXPECT_EQ(Nfc("e\u0301"), "\u00E9");
  EXPECT_EQ(Nfc("\u212B"), "\u00C5");                // ANGSTROM SIGN -> Å
  EXPECT_EQ(Nfc("\u1100\u1161\u11A8"), "\uAC01");    // conjoining jamo -> 각
  EXPECT_EQ(Nfc("e\u0323\u0302"), "\u1EC7");         // ệ
  EXPECT_EQ(Nfc("x\u0302\u0323"), "x\u0323\u0302");  // canonical order
  EXPECT_EQ(Nfc("\uFB01"), "\uFB01");                // compatibility only: kept
  EXPECT_FALSE(IsNfc("e\u0301"));
  EXPECT_TRUE(IsNfc("plain ascii"));
  EXPECT_TRUE(IsNfc("\u00E9\u4E2D"));
}

TEST(NormalizerTest, IllFormedBytesSurviveAndSplitTheRuns) {
  EXPECT_EQ(Nfc("e\xFF\u0301"), "e\xFF\u0301");            // the byte blocks the composition
  EXPECT_EQ(Nfc("\x80\x65\u0301\xC3"), "\x80\u00E9\xC3");  // \x65: 'e'
  EXPECT_TRUE(IsNfc("\xFF\xFE"));
}

}  // namespace
}  // namespace tokenfab::tokenizer
