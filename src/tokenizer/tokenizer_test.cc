#include "tokenfab/tokenizer/tokenizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "tokenizer/real_tokenizers_for_test.h"

namespace tokenfab::tokenizer {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using Ids = std::vector<int32_t>;

#define REAL_TOKENIZER_OR_FAIL(var, name)     \
  const Tokenizer* var = RealTokenizer(name); \
  ASSERT_NE(var, nullptr) << "vocabulary " << name

// Reference ids from tiktoken (gpt2, llama3, qwen3) and llama-tokenizer-js (llama2).
struct Expected {
  const char* vocab;
  std::string text;
  Ids ids;
};

const Expected kExpected[] = {
    {"gpt2", "Hello world", {15496, 995}},
    {"llama3", "Hello world", {9906, 1917}},
    {"qwen3", "Hello world", {9707, 1879}},
    {"llama2", "Hello world", {15043, 3186}},
    {"gpt2",
     "Hello, world! \u4F60\u597D\uFF0C\u4E16\u754C \U0001F916\n",
     {15496, 11,  995,   0,   220,   19526, 254,   25001, 121, 171,
      120,   234, 10310, 244, 45911, 234,   12520, 97,    244, 198}},
    {"llama3",
     "Hello, world! \u4F60\u597D\uFF0C\u4E16\u754C \U0001F916\n",
     {9906, 11, 1917, 0, 118195, 53901, 3922, 102616, 11410, 97, 244, 198}},
    {"qwen3",
     "Hello, world! \u4F60\u597D\uFF0C\u4E16\u754C \U0001F916\n",
     {9707, 11, 1879, 0, 220, 108386, 3837, 99489, 11162, 97, 244, 198}},
    {"llama2",
     "Hello, world! \u4F60\u597D\uFF0C\u4E16\u754C \U0001F916\n",
     {15043, 29892, 3186, 29991, 29871, 30919, 31076, 30214, 30793, 30967, 29871, 243, 162, 167,
      153, 13}},
    {"gpt2", "  indented\tcode();", {220, 773, 4714, 197, 8189, 9783}},
    {"llama3", "  indented\tcode();", {220, 1280, 16243, 44443, 2178}},
    {"qwen3", "  indented\tcode();", {220, 1257, 15864, 43343, 2129}},
    {"llama2", "  indented\tcode();", {259, 1399, 14927, 12, 401, 890}},
    // Qwen composes e + U+0301 to é (NFC) before encoding.
    {"gpt2", "e\u0301t\u00E9", {68, 136, 223, 83, 2634}},
    {"llama3", "e\u0301t\u00E9", {68, 122095, 978}},
    {"qwen3", "e\u0301t\u00E9", {38783}},
    {"llama2", "e\u0301t\u00E9", {321, 30103, 6772}},
    {"llama2", "\U0001F600", {29871, 243, 162, 155, 131}},
};

TEST(TokenizerTest, EncodesLikeTheReferences) {
  for (const Expected& e : kExpected) {
    REAL_TOKENIZER_OR_FAIL(tokenizer, e.vocab);
    EXPECT_THAT(tokenizer->Encode(e.text, false, false), ElementsAreArray(e.ids))
        << e.vocab << ": " << e.text;
  }
}

TEST(TokenizerTest, AddSpecialFollowsTheVocabulary) {
  REAL_TOKENIZER_OR_FAIL(llama3, "llama3");
  EXPECT_THAT(llama3->Encode("Hello world", true, false), ElementsAre(128000, 9906, 1917));
  EXPECT_THAT(llama3->Encode("", true, false), ElementsAre(128000));
  REAL_TOKENIZER_OR_FAIL(llama2, "llama2");
  EXPECT_THAT(llama2->Encode("Hello world", true, false), ElementsAre(1, 15043, 3186));
  EXPECT_THAT(llama2->Encode("", false, false), ElementsAre());
  REAL_TOKENIZER_OR_FAIL(qwen3, "qwen3");  // add_bos_token false: nothing added
  EXPECT_THAT(qwen3->Encode("Hello world", true, false), ElementsAre(9707, 1879));
  REAL_TOKENIZER_OR_FAIL(gpt2, "gpt2");
  EXPECT_THAT(gpt2->Encode("Hello world", true, false), ElementsAre(15496, 995));
}

TEST(TokenizerTest, AddEosWhenTheVocabularySaysSo) {
  StatusOr<std::string> path = FindVocabFile("llama2");
  ASSERT_TRUE(path.ok());
  StatusOr<Vocab> vocab = LoadVocabJson(*path);
  ASSERT_TRUE(vocab.ok());
  vocab->add_eos = true;
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::Create(*std::move(vocab));
  ASSERT_TRUE(tokenizer.ok());
  EXPECT_THAT((*tokenizer)->Encode("Hello world", true, false), ElementsAre(1, 15043, 3186, 2));
  EXPECT_THAT((*tokenizer)->Encode("Hello world", false, false), ElementsAre(15043, 3186));
}

TEST(TokenizerTest, ControlTokenTextsAreTokensOnlyWithParseSpecial) {
  REAL_TOKENIZER_OR_FAIL(llama3, "llama3");
  const std::string text = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
  EXPECT_THAT(llama3->Encode(text, false, true),
              ElementsAre(128006, 882, 128007, 271, 13347, 128009));
  const Ids plain = llama3->Encode(text, false, false);
  EXPECT_GT(plain.size(), 10u);
  for (int32_t id : plain) EXPECT_LT(id, 128000);
  EXPECT_EQ(llama3->Decode(plain), text);

  REAL_TOKENIZER_OR_FAIL(llama2, "llama2");
  // SentencePiece puts "▁" in front of the text after a special token, as llama.cpp does.
  EXPECT_THAT(llama2->Encode("<s>Hello</s>", false, true), ElementsAre(1, 15043, 2));
  EXPECT_THAT(llama2->Encode("<s>Hello", false, false), ElementsAre(529, 29879, 29958, 10994));
}

TEST(TokenizerTest, UserDefinedTokensAreAlwaysRecognised) {
  REAL_TOKENIZER_OR_FAIL(qwen3, "qwen3");
  EXPECT_THAT(qwen3->Encode("<think>x</think>", false, false), ElementsAre(151667, 87, 151668));
  // <|im_end|> is a control token: plain text unless parse_special.
  EXPECT_THAT(qwen3->Encode("<|im_end|>", false, true), ElementsAre(151645));
  EXPECT_THAT(qwen3->Encode("<|im_end|>", false, false), ElementsAre(27, 91, 318, 6213, 91, 29));
  EXPECT_EQ(qwen3->Decode(qwen3->Encode("a<think>b", false, false)), "a<think>b");
}

TEST(TokenizerTest, DecodeRoundTripsAnyBytes) {
  const std::string texts[] = {
      "plain",
      "  two  spaces  ",
      "\n\n\t\r\n",
      "\u4E2D\u6587\U0001F468\u200D\U0001F469",
      "\xFF\xFE bad \xE4\xB8 bytes \x80",
      std::string("nul\0byte", 8),
      "\uFEFFbom",
      "",
  };
  for (const char* name : {"gpt2", "llama3", "qwen3", "llama2"}) {
    REAL_TOKENIZER_OR_FAIL(tokenizer, name);
    for (const std::string& text : texts) {
      EXPECT_EQ(tokenizer->Decode(tokenizer->Encode(text, false, false)), text) << name;
      EXPECT_EQ(tokenizer->Decode(tokenizer->Encode(text, true, false)), text) << name;
    }
  }
}

TEST(TokenizerTest, QwenDecodesToTheNfcForm) {
  REAL_TOKENIZER_OR_FAIL(qwen3, "qwen3");
  EXPECT_EQ(qwen3->Normalize("e\u0301"), "\u00E9");
  EXPECT_EQ(qwen3->Decode(qwen3->Encode("e\u0301", false, false)), "\u00E9");
  REAL_TOKENIZER_OR_FAIL(llama3, "llama3");
  EXPECT_EQ(llama3->Normalize("e\u0301"), "e\u0301");
}

TEST(TokenizerTest, DecodeSkipsOrRendersControlTokens) {
  REAL_TOKENIZER_OR_FAIL(llama3, "llama3");
  const Ids ids = {128000, 9906, 128009};
  EXPECT_EQ(llama3->Decode(ids), "Hello");
  EXPECT_EQ(llama3->Decode(ids, SpecialTokens::kRender), "<|begin_of_text|>Hello<|eot_id|>");
  REAL_TOKENIZER_OR_FAIL(qwen3, "qwen3");  // user-defined tokens are text either way
  EXPECT_EQ(qwen3->Decode(Ids{151667}), "<think>");
}

TEST(TokenizerTest, SentencePieceDropsThePrefixSpaceAtTheStartOnly) {
  REAL_TOKENIZER_OR_FAIL(llama2, "llama2");
  EXPECT_EQ(llama2->Decode(Ids{15043, 3186}), "Hello world");
  EXPECT_EQ(llama2->Decode(Ids{1, 15043, 3186}), "Hello world");
  EXPECT_EQ(llama2->Decode(Ids{1, 15043, 3186}, SpecialTokens::kRender), "<s>Hello world");
  EXPECT_EQ(llama2->Decode(Ids{3186, 3186}), "world world");
  EXPECT_EQ(llama2->TokenToPiece(3186), " world");
  EXPECT_EQ(llama2->TokenToPiece(13), "\n");  // <0x0A>
  // Byte-level vocabularies have no prefix space to drop.
  REAL_TOKENIZER_OR_FAIL(gpt2, "gpt2");
  EXPECT_EQ(gpt2->Decode(Ids{995}), " world");
}

TEST(TokenizerTest, PiecesAndIds) {
  REAL_TOKENIZER_OR_FAIL(gpt2, "gpt2");
  EXPECT_EQ(gpt2->TokenToPiece(995), " world");
  EXPECT_EQ(gpt2->TokenToPiece(198), "\n");
  EXPECT_EQ(gpt2->TokenToPiece(50256), "<|endoftext|>");
  EXPECT_EQ(gpt2->TokenToPiece(-1), "\uFFFD");
  EXPECT_EQ(gpt2->TokenToPiece(50257), "\uFFFD");
  EXPECT_EQ(gpt2->Decode(Ids{15496, 99999}), "Hello\uFFFD");
  EXPECT_EQ(gpt2->vocab_size(), 50257);
  EXPECT_EQ(gpt2->FindToken("\xC4\xA0world"), 995);  // "Ġworld"
  EXPECT_EQ(gpt2->FindToken("no such token"), -1);
  EXPECT_TRUE(gpt2->CheckIds(Ids{0, 50256}).ok());
  const Status bad = gpt2->CheckIds(Ids{0, 50257});
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("50257 at position 1"), absl::string_view::npos);
}

TEST(TokenizerTest, EndOfGeneration) {
  REAL_TOKENIZER_OR_FAIL(llama3, "llama3");
  EXPECT_EQ(llama3->eos_id(), 128009);
  EXPECT_EQ(llama3->eot_id(), 128009);
  EXPECT_EQ(llama3->bos_id(), 128000);
  for (int32_t id : {128001, 128008, 128009}) EXPECT_TRUE(llama3->IsEndOfGeneration(id)) << id;
  for (int32_t id : {128000, 128006, 9906, -1, 999999}) EXPECT_FALSE(llama3->IsEndOfGeneration(id));
  REAL_TOKENIZER_OR_FAIL(qwen3, "qwen3");
  EXPECT_TRUE(qwen3->IsEndOfGeneration(151643));   // <|endoftext|>
  EXPECT_TRUE(qwen3->IsEndOfGeneration(151645));   // <|im_end|>
  EXPECT_FALSE(qwen3->IsEndOfGeneration(151644));  // <|im_start|>
  EXPECT_FALSE(qwen3->IsEndOfGeneration(151668));  // </think>
  REAL_TOKENIZER_OR_FAIL(llama2, "llama2");
  EXPECT_TRUE(llama2->IsEndOfGeneration(2));
  EXPECT_FALSE(llama2->IsEndOfGeneration(1));
  EXPECT_TRUE(llama2->IsControl(1));
  EXPECT_TRUE(llama2->IsControl(0));   // <unk>
  EXPECT_FALSE(llama2->IsControl(3));  // <0x00>
}

// Runs that make one long piece (or many pieces from one run) must not take quadratic time:
// 256 KiB of digits or letters would then take many minutes.
TEST(TokenizerTest, LongRunsEncodeInLinearTime) {
  const std::string digits(1 << 18, '7');
  REAL_TOKENIZER_OR_FAIL(qwen3, "qwen3");
  EXPECT_EQ(qwen3->Encode(digits, false, false).size(), digits.size());  // one digit per token
  REAL_TOKENIZER_OR_FAIL(llama3, "llama3");
  EXPECT_EQ(llama3->Encode(digits, false, false).size(), (digits.size() + 2) / 3);
  const std::string letters(1 << 18, 'q');
  EXPECT_EQ(llama3->Decode(llama3->Encode(letters, false, false)), letters);
  const std::string spaces(1 << 18, ' ');
  EXPECT_EQ(llama3->Decode(llama3->Encode(spaces, false, false)), spaces);
  REAL_TOKENIZER_OR_FAIL(llama2, "llama2");
  EXPECT_EQ(llama2->Decode(llama2->Encode(letters, false, false)), letters);
}

TEST(TokenizerTest, ConcurrentEncodesAgree) {
  REAL_TOKENIZER_OR_FAIL(qwen3, "qwen3");
  const std::string text = "Concurrent \u00E9t\u00E9 \u4E2D\u6587 1234567 <think> \xFF!";
  const Ids expected = qwen3->Encode(text, false, false);
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) failures[t] += qwen3->Encode(text, false, false) != expected;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(failures, ElementsAre(0, 0, 0, 0));
}

// 256 tokens where only printable ASCII and 0x00 (spelled "Ā") have a token of their own.
Vocab TinyByteLevelVocab() {
  Vocab v;
  v.type = VocabType::kByteLevelBpe;
  v.pre = "gpt-2";
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(b >= '!' && b <= '~' ? std::string(1, static_cast<char>(b)) : "\xC4\x80");
    v.token_types.push_back(TokenType::kNormal);
  }
  return v;
}

TEST(TokenizerTest, CreateReportsBadVocabularies) {
  StatusOr<std::string> path = FindVocabFile("gpt2");
  ASSERT_TRUE(path.ok());
  StatusOr<Vocab> gpt2 = LoadVocabJson(*path);
  ASSERT_TRUE(gpt2.ok());

  Vocab unknown_pre = *gpt2;
  unknown_pre.pre = "klingon";
  StatusOr<std::unique_ptr<Tokenizer>> t = Tokenizer::Create(std::move(unknown_pre));
  EXPECT_EQ(t.status().code(), absl::StatusCode::kUnimplemented);

  Vocab no_bos = *gpt2;
  no_bos.add_bos = true;
  no_bos.bos_id = -1;
  t = Tokenizer::Create(std::move(no_bos));
  EXPECT_NE(t.status().message().find("add_bos_token"), absl::string_view::npos);

  Vocab empty;
  EXPECT_FALSE(Tokenizer::Create(std::move(empty)).ok());

  t = Tokenizer::Create(TinyByteLevelVocab());
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("no token for byte 0x01"), absl::string_view::npos);
}

}  // namespace
}  // namespace tokenfab::tokenizer
