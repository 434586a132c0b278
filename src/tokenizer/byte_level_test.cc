#include "tokenizer/byte_level.h"

#include <gtest/gtest.h>

namespace tokenfab::tokenizer {
namespace {

TEST(ByteLevelTest, SpellsBytesAsGpt2Does) {
  EXPECT_EQ(ByteLevelChar(' '), U'\u0120');   // Ġ
  EXPECT_EQ(ByteLevelChar('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(ByteLevelChar('A'), U'A');
  EXPECT_EQ(ByteLevelChar(0x00), U'\u0100');
  EXPECT_EQ(ByteLevelChar(0xAD), U'\u0143');  // the last of the 68 moved bytes
  EXPECT_EQ(ByteLevelChar(0xFF), U'\u00FF');
  std::string spelled;
  ByteLevelEncode(" caf\xC3\xA9", &spelled);
  EXPECT_EQ(spelled,
            "\xC4\xA0"
            "caf\xC3\x83\xC2\xA9");  // "Ġcafé" as GPT-2 stores it: Ġcafé
}

TEST(ByteLevelTest, EveryByteRoundTrips) {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string spelled;
  ByteLevelEncode(all, &spelled);
  std::string back;
  ASSERT_TRUE(ByteLevelDecode(spelled, &back));
  EXPECT_EQ(back, all);
}

TEST(ByteLevelTest, RejectsCharactersOutsideTheAlphabet) {
  std::string out;
  EXPECT_FALSE(ByteLevelDecode("ab\u4E2D", &out));
  EXPECT_EQ(out, "ab");
  out.clear();
  EXPECT_FALSE(ByteLevelDecode("\u0144", &out));  // one past the alphabet
}

}  // namespace
}  // namespace tokenfab::tokenizer
