#include "tokenizer/spm_encoder.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::tokenizer {
namespace {

using ::testing::ElementsAre;

// <unk>, <s>, </s>, optionally the 256 byte tokens, then the given pieces with their scores.
Vocab SpmVocab(const std::vector<std::pair<std::string, float>>& pieces, bool byte_tokens = true) {
  Vocab v;
  v.type = VocabType::kSentencePieceBpe;
  auto add = [&](std::string text, float score, TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.token_types.push_back(type);
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  v.unk_id = 0;
  v.bos_id = 1;
  v.eos_id = 2;
  if (byte_tokens) {
    for (int b = 0; b < 256; ++b) add(fmt::format("<0x{:02X}>", b), 0, TokenType::kByte);
  }
  for (const auto& [text, score] : pieces) add(text, score, TokenType::kNormal);
  return v;
}

std::vector<std::string> Encode(const Vocab& vocab, std::string_view text) {
  std::vector<bool> mergeable;
  for (TokenType t : vocab.token_types) mergeable.push_back(t == TokenType::kNormal);
  StatusOr<SpmEncoder> encoder = SpmEncoder::Create(vocab, mergeable);
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  std::vector<int32_t> ids;
  encoder->Encode(text, &ids);
  std::vector<std::string> out;
  for (int32_t id : ids) out.push_back(vocab.tokens[id]);
  return out;
}

TEST(SpmEncoderTest, MergesTheHighestScoringPairFirst) {
  const Vocab v = SpmVocab({{"a", -10},
                            {"b", -11},
                            {"c", -12},
                            {"ab", -2},
                            {"bc", -1},
                            {"\u2581", -20},
                            {"\u2581a", -3},
                            {"\u2581ab", -4}});
  EXPECT_THAT(Encode(v, "abc"), ElementsAre("a", "bc"));
  EXPECT_THAT(Encode(v, "\u2581abc"), ElementsAre("\u2581a", "bc"));
  EXPECT_THAT(Encode(v, "\u2581ab"), ElementsAre("\u2581ab"));
  EXPECT_THAT(Encode(v, ""), ElementsAre());
}

TEST(SpmEncoderTest, EqualScoresMergeLeftmostFirst) {
  const Vocab v = SpmVocab({{"a", -10}, {"aa", -5}, {"aaa", -5}});
  // aa aa → the leftmost pair first at every step: (aa)(a)(a) → (aaa)(a)
  EXPECT_THAT(Encode(v, "aaaa"), ElementsAre("aaa", "a"));
}

TEST(SpmEncoderTest, UnknownCharactersFallBackToBytes) {
  const Vocab v = SpmVocab({{"a", -1}, {"\u2581", -2}});
  EXPECT_THAT(Encode(v, "a\u00E9\u2581"), ElementsAre("a", "<0xC3>", "<0xA9>", "\u2581"));
  EXPECT_THAT(Encode(v, "\xFF\x61\xE4\xB8"),  // 0xFF, 'a', a truncated 中
              ElementsAre("<0xFF>", "a", "<0xE4>", "<0xB8>"));
}

TEST(SpmEncoderTest, WithoutByteTokensAnUnknownCharacterIsOneUnknownToken) {
  const Vocab v = SpmVocab({{"a", -1}}, /*byte_tokens=*/false);
  EXPECT_THAT(Encode(v, "a\u4E2Da"), ElementsAre("a", "<unk>", "a"));
}

TEST(SpmEncoderTest, NeedsByteTokensOrAnUnknownToken) {
  Vocab v = SpmVocab({{"a", -1}}, /*byte_tokens=*/false);
  v.unk_id = -1;
  std::vector<bool> mergeable(v.tokens.size(), true);
  StatusOr<SpmEncoder> encoder = SpmEncoder::Create(v, mergeable);
  ASSERT_FALSE(encoder.ok());
  EXPECT_NE(encoder.status().message().find("no byte token"), absl::string_view::npos);
}

}  // namespace
}  // namespace tokenfab::tokenizer
