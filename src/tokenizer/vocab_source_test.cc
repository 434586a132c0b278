#include "tokenfab/tokenizer/vocab_source.h"

#include <cstdio>
#include <fstream>

#include <gtest/gtest.h>

namespace tokenfab::tokenizer {
namespace {

struct Expected {
  const char* name;
  VocabType type;
  size_t tokens;
  const char* pre;
  int32_t bos;
  int32_t eos;
  bool add_bos;
};

TEST(VocabSourceTest, LoadsEveryExportedVocabulary) {
  for (const Expected& e : {
           Expected{"llama3", VocabType::kByteLevelBpe, 128256, "llama-bpe", 128000, 128009, true},
           Expected{"llama2", VocabType::kSentencePieceBpe, 32000, "default", 1, 2, true},
           Expected{"qwen3", VocabType::kByteLevelBpe, 151669, "qwen2", 151643, 151645, false},
           Expected{"gpt2", VocabType::kByteLevelBpe, 50257, "gpt-2", 50256, 50256, false},
       }) {
    StatusOr<std::string> path = FindVocabFile(e.name);
    ASSERT_TRUE(path.ok()) << path.status();
    StatusOr<Vocab> vocab = LoadVocabJson(*path);
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    EXPECT_EQ(vocab->type, e.type) << e.name;
    EXPECT_EQ(vocab->tokens.size(), e.tokens) << e.name;
    EXPECT_EQ(vocab->token_types.size(), e.tokens) << e.name;
    EXPECT_EQ(vocab->pre, e.pre) << e.name;
    EXPECT_EQ(vocab->bos_id, e.bos) << e.name;
    EXPECT_EQ(vocab->eos_id, e.eos) << e.name;
    EXPECT_EQ(vocab->add_bos, e.add_bos) << e.name;
    if (e.type == VocabType::kByteLevelBpe) {
      EXPECT_GT(vocab->merges.size(), 10'000u) << e.name;
    } else {
      EXPECT_EQ(vocab->scores.size(), e.tokens) << e.name;
      EXPECT_EQ(vocab->tokens[3], "<0x00>");
      EXPECT_EQ(vocab->token_types[3], TokenType::kByte);
    }
  }
}

TEST(VocabSourceTest, UnknownNameIsAClearError) {
  StatusOr<std::string> path = FindVocabFile("klingon");
  ASSERT_FALSE(path.ok());
  EXPECT_NE(path.status().message().find("unknown vocabulary 'klingon'"), std::string::npos);
}

class VocabJsonErrorTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_ = ::testing::TempDir() + "/vocab_error_test.json";
};

TEST_F(VocabJsonErrorTest, NamesTheFileAndTheField) {
  auto message = [&](const std::string& text) {
    StatusOr<Vocab> vocab = LoadVocabJson(Write(text));
    EXPECT_FALSE(vocab.ok());
    return std::string(vocab.status().message());
  };
  EXPECT_NE(message("{not json").find("not valid JSON"), std::string::npos);
  EXPECT_NE(message("[]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(message(R"({"model":"bert"})").find("field 'model'"), std::string::npos);
  EXPECT_NE(message(R"({"model":"gpt2","pre":"gpt-2","tokens":["a",1],"token_types":[1,1]})")
                .find("field 'tokens' holds a value that is not a string"),
            std::string::npos);
  EXPECT_NE(message(R"({"model":"gpt2","pre":"gpt-2","tokens":["a"],"token_types":[1],)"
                    R"("bos_token_id":5})")
                .find("bos_token_id = 5 is outside"),
            std::string::npos);
  EXPECT_NE(message(R"({"model":"gpt2","pre":"gpt-2","tokens":["a","b"],"token_types":[1]})")
                .find("token_type has 1 entries for 2 tokens"),
            std::string::npos);
  EXPECT_NE(message("{}").find(path_), std::string::npos);
}

}  // namespace
}  // namespace tokenfab::tokenizer
