#include "tokenfab/tokenizer/streaming_detokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/tokenizer/utf8.h"
#include "tokenizer/real_tokenizers_for_test.h"

namespace tokenfab::tokenizer {
namespace {

using ::testing::ElementsAre;

// Llama 2's <0xNN> byte tokens have id 3 + NN.
constexpr int32_t Byte(int b) { return 3 + b; }

std::vector<std::string> PushAll(StreamingDetokenizer& stream, const std::vector<int32_t>& ids) {
  std::vector<std::string> chunks;
  for (int32_t id : ids) chunks.push_back(stream.Push(id));
  return chunks;
}

TEST(StreamingDetokenizerTest, HoldsASplitCharacterUntilItIsComplete) {
  const Tokenizer* llama2 = RealTokenizer("llama2");
  ASSERT_NE(llama2, nullptr);
  StreamingDetokenizer stream(*llama2);
  // 中 = E4 B8 AD, as three byte tokens.
  EXPECT_THAT(PushAll(stream, {Byte(0xE4), Byte(0xB8)}), ElementsAre("", ""));
  EXPECT_EQ(stream.pending_bytes(), 2u);
  EXPECT_EQ(stream.Push(Byte(0xAD)), "\u4E2D");
  EXPECT_EQ(stream.pending_bytes(), 0u);
  EXPECT_EQ(stream.Flush(), "");
}

TEST(StreamingDetokenizerTest, ContinuationKeepsTheLeadingSpace) {
  const Tokenizer* llama2 = RealTokenizer("llama2");
  ASSERT_NE(llama2, nullptr);
  StreamingDetokenizer generated(*llama2);
  EXPECT_THAT(PushAll(generated, {15043, 3186}), ElementsAre(" Hello", " world"));

  StreamingDetokenizer whole(*llama2, {.sequence_start = true});
  EXPECT_THAT(PushAll(whole, {1, 15043, 3186, 2}), ElementsAre("", "Hello", " world", ""));
  EXPECT_EQ(whole.Flush(), "");
  // Flush starts a new sequence: the rule applies again.
  EXPECT_EQ(whole.Push(15043), "Hello");
}

TEST(StreamingDetokenizerTest, EmojiZwjSequencesComeOutWholeCharacterByCharacter) {
  const std::string family =
      "\U0001F468\u200D\U0001F469\u200D\U0001F467 \U0001F3F3\uFE0F\u200D\U0001F308";
  for (const char* name : {"gpt2", "llama3", "qwen3", "llama2"}) {
    const Tokenizer* tokenizer = RealTokenizer(name);
    ASSERT_NE(tokenizer, nullptr);
    const std::vector<int32_t> ids = tokenizer->Encode(family, false, false);
    StreamingDetokenizer stream(*tokenizer, {.sequence_start = true});
    std::string out;
    int held = 0;
    for (int32_t id : ids) {
      const std::string chunk = stream.Push(id);
      EXPECT_TRUE(IsValidUtf8(chunk)) << name;
      held += chunk.empty();
      out += chunk;
    }
    out += stream.Flush();
    EXPECT_EQ(out, family) << name;
    EXPECT_GT(held, 0) << name << ": some token should end inside a character";
  }
}

TEST(StreamingDetokenizerTest, IllFormedBytes) {
  const Tokenizer* llama2 = RealTokenizer("llama2");
  ASSERT_NE(llama2, nullptr);
  StreamingDetokenizer stream(*llama2);
  EXPECT_EQ(stream.Push(Byte(0xFF)), "\xFF");     // can never be valid: out at once
  EXPECT_EQ(stream.Push(Byte(0xE4)), "");         // might become a character
  EXPECT_EQ(stream.Push(Byte('A')), "\xE4\x41");  // "\xE4A": it cannot any more
  EXPECT_EQ(stream.Push(Byte(0xF0)), "");
  EXPECT_EQ(stream.Push(Byte(0x9F)), "");
  EXPECT_EQ(stream.Flush(), "\xF0\x9F");  // the rest as raw bytes
}

TEST(StreamingDetokenizerTest, SpecialTokens) {
  const Tokenizer* llama3 = RealTokenizer("llama3");
  ASSERT_NE(llama3, nullptr);
  StreamingDetokenizer skip(*llama3);
  EXPECT_THAT(PushAll(skip, {128006, 882, 128007}), ElementsAre("", "user", ""));
  StreamingDetokenizer render(*llama3, {.special = SpecialTokens::kRender});
  EXPECT_THAT(PushAll(render, {128006, 882}), ElementsAre("<|start_header_id|>", "user"));
}

TEST(StreamingDetokenizerTest, ConcatenationEqualsDecode) {
  const std::string text = "Mixed: \u00E9\u4E2D\U0001F600 \xFF\xE4\xB8 end\n\n  x \xF0\x9F";
  for (const char* name : {"gpt2", "llama3", "qwen3", "llama2"}) {
    const Tokenizer* tokenizer = RealTokenizer(name);
    ASSERT_NE(tokenizer, nullptr);
    const std::vector<int32_t> ids = tokenizer->Encode(text, true, false);
    StreamingDetokenizer stream(*tokenizer, {.sequence_start = true});
    std::string out;
    for (int32_t id : ids) out += stream.Push(id);
    out += stream.Flush();
    EXPECT_EQ(out, tokenizer->Decode(ids)) << name;
    EXPECT_EQ(out, text) << name;
  }
}

}  // namespace
}  // namespace tokenfab::tokenizer
