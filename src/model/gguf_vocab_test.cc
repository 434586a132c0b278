#include "tokenfab/model/gguf_vocab.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::model {
namespace {

using ::testing::HasSubstr;
using tokenizer::TokenType;
using tokenizer::Vocab;
using tokenizer::VocabType;

// Writes the metadata a writer holds to memory and parses it back.
struct Written {
  explicit Written(const GgufWriter& writer) : bytes(writer.WriteToBuffer().value()) {}
  GgufFile Parse() const { return GgufFile::Parse(bytes).value(); }
  std::vector<uint8_t> bytes;
};

Vocab LoadReal(const std::string& name) {
  return tokenizer::LoadVocabJson(tokenizer::FindVocabFile(name).value()).value();
}

void ExpectSameVocab(const Vocab& a, const Vocab& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.pre, b.pre);
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.scores, b.scores);
  EXPECT_EQ(a.token_types, b.token_types);
  EXPECT_EQ(a.merges, b.merges);
  EXPECT_EQ(a.bos_id, b.bos_id);
  EXPECT_EQ(a.eos_id, b.eos_id);
  EXPECT_EQ(a.eot_id, b.eot_id);
  EXPECT_EQ(a.unk_id, b.unk_id);
  EXPECT_EQ(a.pad_id, b.pad_id);
  EXPECT_EQ(a.add_bos, b.add_bos);
  EXPECT_EQ(a.add_eos, b.add_eos);
  EXPECT_EQ(a.add_space_prefix, b.add_space_prefix);
  EXPECT_EQ(a.chat_template, b.chat_template);
}

TEST(GgufVocabTest, RealVocabulariesRoundTrip) {
  for (const std::string& name : tokenizer::KnownVocabNames()) {
    SCOPED_TRACE(name);
    const Vocab original = LoadReal(name);
    GgufWriter writer;
    ASSERT_TRUE(WriteVocab(original, writer).ok());
    const Written written(writer);
    StatusOr<Vocab> read = ReadVocab(written.Parse());
    ASSERT_TRUE(read.ok()) << read.status();
    Vocab expected = original;
    // Where the vocabulary names no end-of-turn token, llama.cpp (and so ReadVocab) finds one by
    // its text.
    if (name == "qwen3") expected.eot_id = 151645;  // <|im_end|>
    if (name == "gpt2") expected.eot_id = 50256;    // <|endoftext|>
    ExpectSameVocab(*read, expected);
  }
}

TEST(GgufVocabTest, WritesTheKeysLlamaCppReads) {
  const Vocab llama2 = LoadReal("llama2");
  GgufWriter writer;
  ASSERT_TRUE(WriteVocab(llama2, writer).ok());
  const Written written(writer);
  const GgufFile file = written.Parse();
  EXPECT_EQ(file.GetString("tokenizer.ggml.model").value(), "llama");
  EXPECT_EQ(file.KeyType("tokenizer.ggml.bos_token_id").value(), GgufValueType::kUint32);
  EXPECT_EQ(file.GetArrayInfo("tokenizer.ggml.scores").value().element_type,
            GgufValueType::kFloat32);
  EXPECT_EQ(file.GetArrayInfo("tokenizer.ggml.token_type").value().element_type,
            GgufValueType::kInt32);
  EXPECT_TRUE(file.GetBool("tokenizer.ggml.add_space_prefix").value());
  EXPECT_FALSE(file.HasKey("tokenizer.ggml.merges"));
  EXPECT_FALSE(file.HasKey("tokenizer.ggml.padding_token_id"));  // -1 is not written
}

Vocab SmallBpe() {
  Vocab v;
  v.type = VocabType::kByteLevelBpe;
  v.tokens = {"a", "b", "ab", "<|im_end|>", "<|endoftext|>"};
  v.token_types = {TokenType::kNormal, TokenType::kNormal, TokenType::kNormal, TokenType::kControl,
                   TokenType::kControl};
  v.merges = {"a b"};
  return v;
}

// A GGUF with only the keys given.
GgufWriter Minimal(std::string_view model, const std::vector<std::string>& tokens) {
  GgufWriter writer;
  writer.Set("tokenizer.ggml.model", GgufValue::String(model));
  writer.Set("tokenizer.ggml.tokens", GgufValue::StringArray(tokens));
  return writer;
}

TEST(GgufVocabTest, SentencePieceDefaults) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>", "a"};
  const Written written(Minimal("llama", tokens));
  const Vocab v = ReadVocab(written.Parse()).value();
  EXPECT_EQ(v.type, VocabType::kSentencePieceBpe);
  EXPECT_EQ(v.pre, "default");
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(v.unk_id, 0);
  EXPECT_EQ(v.pad_id, -1);
  EXPECT_EQ(v.eot_id, -1);
  EXPECT_TRUE(v.add_bos);
  EXPECT_FALSE(v.add_eos);
  EXPECT_TRUE(v.add_space_prefix);
  EXPECT_TRUE(v.scores.empty());
}

TEST(GgufVocabTest, ByteLevelDefaultsDependOnThePreTokenizer) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 20; ++i) tokens.push_back(std::string(1, static_cast<char>('a' + i)));
  GgufWriter plain = Minimal("gpt2", tokens);
  plain.Set("tokenizer.ggml.merges", GgufValue::StringArray(std::vector<std::string>{"a b"}));
  const Written plain_written(plain);
  const Vocab v = ReadVocab(plain_written.Parse()).value();
  EXPECT_EQ(v.type, VocabType::kByteLevelBpe);
  EXPECT_EQ(v.bos_id, 11);
  EXPECT_EQ(v.eos_id, 11);
  EXPECT_EQ(v.unk_id, -1);
  EXPECT_FALSE(v.add_bos);
  EXPECT_FALSE(v.add_space_prefix);

  plain.Set("tokenizer.ggml.pre", GgufValue::String("llama-bpe"));
  const Written llama3_written(plain);
  EXPECT_TRUE(ReadVocab(llama3_written.Parse()).value().add_bos);
  plain.Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(false));
  const Written explicit_written(plain);
  EXPECT_FALSE(ReadVocab(explicit_written.Parse()).value().add_bos);
}

TEST(GgufVocabTest, DefaultIdsOutsideASmallVocabularyAreNone) {
  GgufWriter writer = Minimal("gpt2", {"a", "b", "ab"});
  writer.Set("tokenizer.ggml.merges", GgufValue::StringArray(std::vector<std::string>{"a b"}));
  const Written written(writer);
  const Vocab v = ReadVocab(written.Parse()).value();
  EXPECT_EQ(v.bos_id, -1);  // the default 11 is outside 3 tokens
  EXPECT_EQ(v.eos_id, -1);
}

TEST(GgufVocabTest, ExplicitIdsOutsideTheVocabularyKeepTheDefault) {
  GgufWriter writer = Minimal("llama", {"<unk>", "<s>", "</s>"});
  writer.Set("tokenizer.ggml.bos_token_id", GgufValue::Uint32(99));
  writer.Set("tokenizer.ggml.eos_token_id", GgufValue::Int32(-7));
  writer.Set("tokenizer.ggml.padding_token_id", GgufValue::Int64(0));
  const Written written(writer);
  const Vocab v = ReadVocab(written.Parse()).value();
  EXPECT_EQ(v.bos_id, 1);
  EXPECT_EQ(v.eos_id, 2);
  EXPECT_EQ(v.pad_id, 0);  // any integer type is read
}

TEST(GgufVocabTest, EndOfTurnIsFoundByTextWhenAbsent) {
  Vocab v = SmallBpe();
  GgufWriter writer;
  ASSERT_TRUE(WriteVocab(v, writer).ok());
  const Written written(writer);
  EXPECT_EQ(ReadVocab(written.Parse()).value().eot_id, 3);  // <|im_end|> before <|endoftext|>
  v.eot_id = 4;
  GgufWriter explicit_writer;
  ASSERT_TRUE(WriteVocab(v, explicit_writer).ok());
  const Written explicit_written(explicit_writer);
  EXPECT_EQ(ReadVocab(explicit_written.Parse()).value().eot_id, 4);
}

TEST(GgufVocabTest, Errors) {
  auto error = [](const GgufWriter& writer) {
    const Written written(writer);
    return std::string(ReadVocab(written.Parse()).status().message());
  };
  EXPECT_EQ(error(GgufWriter()), "key tokenizer.ggml.model missing");
  EXPECT_THAT(error(Minimal("bert", {"a"})), HasSubstr("\"bert\" is not supported"));
  EXPECT_THAT(error(Minimal("gpt2", {"a"})),
              HasSubstr("key tokenizer.ggml.merges missing (a gpt2 vocabulary needs its merges)"));
  GgufWriter no_tokens;
  no_tokens.Set("tokenizer.ggml.model", GgufValue::String("llama"));
  EXPECT_EQ(error(no_tokens), "key tokenizer.ggml.tokens missing");
  GgufWriter scores = Minimal("llama", {"a", "b"});
  scores.Set("tokenizer.ggml.scores", GgufValue::Array(std::vector<float>{1.0f}));
  EXPECT_THAT(error(scores), HasSubstr("scores has 1 entries for 2 tokens"));
  GgufWriter types = Minimal("llama", {"a", "b"});
  types.Set("tokenizer.ggml.token_type", GgufValue::Array(std::vector<int32_t>{1, 9}));
  EXPECT_THAT(error(types), HasSubstr("token 1 has unknown token type 9"));
  GgufWriter wrong_type = Minimal("llama", {"a"});
  wrong_type.Set("tokenizer.ggml.add_bos_token", GgufValue::Uint8(1));
  EXPECT_EQ(error(wrong_type), "key tokenizer.ggml.add_bos_token is uint8, expected bool");
}

TEST(GgufVocabTest, WriteVocabValidatesFirst) {
  Vocab bad = SmallBpe();
  bad.bos_id = 100;
  GgufWriter writer;
  EXPECT_THAT(std::string(WriteVocab(bad, writer).message()), HasSubstr("bos_token_id = 100"));
  EXPECT_FALSE(writer.HasKey("tokenizer.ggml.model"));
}

}  // namespace
}  // namespace tokenfab::model
