#include "tokenfab/model/model_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "model/testing/gguf_samples.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::model {
namespace {

using ::testing::HasSubstr;

std::vector<uint8_t> TinyQwen() {
  const tokenizer::Vocab vocab =
      tokenizer::LoadVocabJson(tokenizer::FindVocabFile("qwen3").value()).value();
  ModelSpec spec;
  spec.name = "info test";
  spec.arch = Architecture::kQwen2;
  spec.shape = FindNamedShape("tiny").value().shape;
  spec.weights = WeightScheme::kQ8_0;
  base::ThreadPool pool(2);
  GgufWriter writer;
  EXPECT_TRUE(AddModel(spec, vocab, pool, writer).ok());
  return writer.WriteToBuffer().value();
}

TEST(ModelInfoTest, SummarisesACreatedModel) {
  const std::vector<uint8_t> bytes = TinyQwen();
  const GgufFile file = GgufFile::Parse(bytes).value();
  const ModelSummary s = SummarizeModel(file);
  EXPECT_EQ(s.architecture, "qwen2");
  EXPECT_EQ(s.name, "info test");
  EXPECT_EQ(FileTypeName(s.file_type.value()), "q8_0");
  EXPECT_EQ(s.dim, 64);
  EXPECT_EQ(s.layers, 2);
  EXPECT_EQ(s.heads, 4);
  EXPECT_EQ(s.kv_heads, 2);
  EXPECT_EQ(s.ffn, 128);
  EXPECT_EQ(s.context, 256);
  EXPECT_EQ(s.rope_theta, 10000.0);
  EXPECT_TRUE(s.tied_embeddings);
  const int64_t n_vocab = 151669;
  const int64_t per_layer = 64 + (64 * 64 + 64) + 2 * (64 * 32 + 32) + 64 * 64 + 64 + 3 * 64 * 128;
  EXPECT_EQ(s.parameters, 64 * n_vocab + 2 * per_layer + 64);
  EXPECT_EQ(s.file_size, bytes.size());
  ASSERT_EQ(s.types.size(), 2u);
  EXPECT_EQ(s.types[0].type, kernels::GgmlType::kQ8_0);  // most bytes first
  EXPECT_EQ(s.types[0].tensors, 15);
  EXPECT_EQ(s.types[1].type, kernels::GgmlType::kF32);
  EXPECT_EQ(s.types[1].tensors, 11);  // 5 norms + 6 biases
  ASSERT_TRUE(s.vocab.has_value());
  EXPECT_EQ(s.vocab->model, "gpt2");
  EXPECT_EQ(s.vocab->pre, "qwen2");
  EXPECT_EQ(s.vocab->tokens, n_vocab);
  EXPECT_EQ(s.vocab->eos, "<|im_end|>");
  EXPECT_THAT(s.vocab->chat_template, HasSubstr("<|im_start|>"));

  const std::string text = FormatModelSummary(s);
  EXPECT_THAT(text, HasSubstr("architecture  qwen2\n"));
  EXPECT_THAT(text, HasSubstr("dim 64, 2 layers, 4 heads (2 kv, head_dim 16), ffn 128"));
  EXPECT_THAT(text, HasSubstr("gpt2 (pre qwen2), 151669 tokens"));
  EXPECT_THAT(text, HasSubstr("eos 151645 '<|im_end|>'"));
  EXPECT_THAT(text, HasSubstr("file type     q8_0"));
  EXPECT_THAT(text, HasSubstr("chat template "));

  const boost::json::value json = boost::json::parse(ModelSummaryToJson(s));
  EXPECT_EQ(json.at("architecture").as_string(), "qwen2");
  EXPECT_EQ(json.at("shape").at("kv_heads").as_int64(), 2);
  EXPECT_EQ(json.at("parameters").as_int64(), s.parameters);
  EXPECT_EQ(json.at("vocabulary").at("tokens").as_int64(), n_vocab);
  EXPECT_EQ(json.at("vocabulary").at("chat_template").as_string(), s.vocab->chat_template);
  EXPECT_EQ(json.at("tensor_types").as_array().size(), 2u);

  EXPECT_THAT(FormatMetadata(file), HasSubstr("qwen2.block_count"));
  EXPECT_THAT(FormatMetadata(file), HasSubstr("[151669 x string] '!', '\"', '#', '$', ..."));
  EXPECT_THAT(FormatTensors(file), HasSubstr("blk.1.attn_v.bias"));
}

TEST(ModelInfoTest, AFileThatIsNotAModel) {
  const std::vector<uint8_t> bytes = testing::SampleFile();
  const GgufFile file = GgufFile::Parse(bytes).value();
  const ModelSummary s = SummarizeModel(file);
  EXPECT_EQ(s.architecture, "sample");
  EXPECT_FALSE(s.dim.has_value());
  EXPECT_FALSE(s.vocab.has_value());
  EXPECT_TRUE(s.vocab_error.empty());
  const std::string text = FormatModelSummary(s);
  EXPECT_THAT(text, HasSubstr("vocabulary    none"));
  EXPECT_THAT(FormatMetadata(file), HasSubstr("sample.string"));
  EXPECT_THAT(FormatMetadata(file), HasSubstr("'hello \xe2\x9c\x93'"));
  EXPECT_THAT(FormatMetadata(file), HasSubstr("[2 x array]"));
  EXPECT_FALSE(boost::json::parse(ModelSummaryToJson(s)).at("vocabulary").is_null() == false);
}

TEST(ModelInfoTest, FileTypeNames) {
  EXPECT_EQ(FileTypeName(1), "f16");
  EXPECT_EQ(FileTypeName(15), "q4_K_M");
  EXPECT_EQ(FileTypeName(32), "bf16");
  EXPECT_EQ(FileTypeName(999), "unknown (999)");
}

// bench model's label of a MoE file: its weight type, not the F32 of a dense matrix it lacks;
// and the rope line shows the scaling.
TEST(ModelInfoTest, LabelsAMoeFileByItsWeightsAndShowsItsRopeScaling) {
  const tokenizer::Vocab vocab =
      tokenizer::LoadVocabJson(tokenizer::FindVocabFile("qwen3").value()).value();
  ModelSpec spec;
  spec.arch = Architecture::kQwen3Moe;
  spec.shape = FindNamedShape("tiny-qwen3moe").value().shape;
  spec.weights = WeightScheme::kQ4_0;
  base::ThreadPool pool(2);
  GgufWriter writer;
  ASSERT_TRUE(AddModel(spec, vocab, pool, writer).ok());
  const std::vector<uint8_t> with_type = writer.WriteToBuffer().value();
  EXPECT_EQ(WeightTypeLabel(GgufFile::Parse(with_type).value()), "q4_0");
  // Without a readable general.file_type: the type of most of the blocks' bytes (the experts).
  writer.Set("qwen3moe.rope.scaling.type", GgufValue::String("yarn"));
  writer.Set("qwen3moe.rope.scaling.factor", GgufValue::Float32(4));
  writer.Set("qwen3moe.rope.scaling.original_context_length", GgufValue::Uint32(64));
  writer.Set("general.file_type", GgufValue::String("?"));
  const std::vector<uint8_t> without = writer.WriteToBuffer().value();
  const GgufFile file = GgufFile::Parse(without).value();
  EXPECT_EQ(WeightTypeLabel(file), "q4_0");
  EXPECT_EQ(SummarizeModel(file).rope_scaling, "yarn x4 from 64 tokens");
  EXPECT_THAT(FormatModelSummary(SummarizeModel(file)), HasSubstr(", yarn x4 from 64 tokens"));
}

}  // namespace
}  // namespace tokenfab::model
