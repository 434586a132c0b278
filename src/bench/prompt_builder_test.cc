#include "tokenfab/bench/prompt_builder.h"

#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "prompt_words.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::bench {
namespace {

std::vector<std::string> Words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

TEST(PromptBuilderTest, TextHasOneWordPerToken) {
  PromptBuilder builder(PromptOptions{});
  for (int tokens : {1, 7, 511, 512, 513, 2000}) {
    const std::string text = builder.Text(tokens, {}, 3);
    EXPECT_EQ(Words(text).size(), static_cast<size_t>(tokens));
    EXPECT_EQ(text.find("  "), std::string::npos);  // single spaces
    EXPECT_NE(text.front(), ' ');
  }
}

TEST(PromptBuilderTest, EqualHashIdsGiveEqualBlocks) {
  PromptOptions options;
  options.form = PromptForm::kTokenIds;
  PromptBuilder builder(options);
  // Request A: blocks 7, 8, 9 (1300 tokens); B: blocks 7, 8, 4 (1100 tokens).
  const std::vector<int32_t> a = builder.TokenIds(1300, {7, 8, 9}, 1);
  const std::vector<int32_t> b = builder.TokenIds(1100, {7, 8, 4}, 2);
  ASSERT_EQ(a.size(), 1300u);
  ASSERT_EQ(b.size(), 1100u);
  // The shared leading blocks are equal token for token...
  EXPECT_TRUE(std::equal(a.begin(), a.begin() + 1024, b.begin()));
  // ...and the third blocks differ.
  EXPECT_FALSE(std::equal(a.begin() + 1024, a.begin() + 1100, b.begin() + 1024));
  // A partial last block is the prefix of the full one.
  const std::vector<int32_t> c = builder.TokenIds(600, {9, 8}, 3);
  const std::vector<int32_t> d = builder.TokenIds(1024, {9, 8}, 4);
  EXPECT_TRUE(std::equal(c.begin(), c.end(), d.begin()));
  // The same holds for text: equal ids, equal words.
  PromptBuilder text_builder(PromptOptions{});
  const std::vector<std::string> ta = Words(text_builder.Text(1300, {7, 8, 9}, 1));
  const std::vector<std::string> tb = Words(text_builder.Text(1100, {7, 8, 4}, 2));
  EXPECT_TRUE(std::equal(ta.begin(), ta.begin() + 1024, tb.begin()));
  EXPECT_FALSE(std::equal(ta.begin() + 1024, ta.begin() + 1100, tb.begin() + 1024));
}

TEST(PromptBuilderTest, RequestsWithoutHashIdsShareNothingAndSeedsMatter) {
  PromptOptions options;
  options.form = PromptForm::kTokenIds;
  options.token_id_min = 100;
  options.token_id_max = 200;
  PromptBuilder builder(options);
  const std::vector<int32_t> a = builder.TokenIds(512, {}, 1);
  const std::vector<int32_t> b = builder.TokenIds(512, {}, 2);
  EXPECT_NE(a, b);
  EXPECT_EQ(a, builder.TokenIds(512, {}, 1));  // deterministic
  for (int32_t id : a) {
    EXPECT_GE(id, 100);
    EXPECT_LT(id, 200);
  }
  // Ids run out: the rest are the request's own blocks.
  const std::vector<int32_t> e = builder.TokenIds(1024, {5}, 1);
  const std::vector<int32_t> f = builder.TokenIds(1024, {5}, 2);
  EXPECT_TRUE(std::equal(e.begin(), e.begin() + 512, f.begin()));
  EXPECT_FALSE(std::equal(e.begin() + 512, e.end(), f.begin() + 512));
  options.seed = 99;
  EXPECT_NE(PromptBuilder(options).TokenIds(512, {5}, 1), builder.TokenIds(512, {5}, 1));
}

TEST(PromptBuilderTest, FormsByName) {
  EXPECT_EQ(*ParsePromptForm("text"), PromptForm::kText);
  EXPECT_EQ(*ParsePromptForm("token-ids"), PromptForm::kTokenIds);
  EXPECT_FALSE(ParsePromptForm("ids").ok());
}

TEST(PromptWordsTest, WordsAreDistinctLowercase) {
  std::set<std::string_view> seen;
  for (std::string_view word : PromptWords()) {
    EXPECT_TRUE(seen.insert(word).second) << word;
    ASSERT_FALSE(word.empty());
    for (char c : word) EXPECT_TRUE(c >= 'a' && c <= 'z') << word;
  }
}

// Each word is one token of the real vocabularies, with and without a leading space
// (byte-level BPE: "Ġword" and "word"; SentencePiece: "▁word").
TEST(PromptWordsTest, EveryWordIsOneTokenInTheCommonVocabularies) {
  for (const std::string name : {"gpt2", "llama3", "qwen3", "llama2"}) {
    auto path = tokenizer::FindVocabFile(name);
    if (!path.ok()) GTEST_SKIP() << "vocabularies not exported: " << path.status();
    auto vocab = tokenizer::LoadVocabJson(*path);
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    const std::set<std::string> tokens(vocab->tokens.begin(), vocab->tokens.end());
    for (std::string_view word : PromptWords()) {
      if (vocab->type == tokenizer::VocabType::kSentencePieceBpe) {
        EXPECT_TRUE(tokens.count("\u2581" + std::string(word))) << name << ": " << word;
      } else {
        EXPECT_TRUE(tokens.count("\u0120" + std::string(word))) << name << ": " << word;
        EXPECT_TRUE(tokens.count(std::string(word))) << name << ": " << word;
      }
    }
  }
}

}  // namespace
}  // namespace tokenfab::bench
