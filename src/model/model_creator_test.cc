#include "tokenfab/model/model_creator.h"

#include <cmath>
#include <filesystem>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/kernels/quantize.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_vocab.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::model {
namespace {

using kernels::GgmlType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const tokenizer::Vocab& RealVocab(const std::string& name) {
  static std::map<std::string, tokenizer::Vocab> cache;
  auto it = cache.find(name);
  if (it == cache.end()) {
    it =
        cache
            .emplace(name, tokenizer::LoadVocabJson(tokenizer::FindVocabFile(name).value()).value())
            .first;
  }
  return it->second;
}

ModelSpec TinySpec(Architecture arch, WeightScheme weights, uint64_t seed = 7) {
  ModelSpec spec;
  spec.name = "test model";
  spec.arch = arch;
  spec.shape = FindNamedShape("tiny").value().shape;
  spec.weights = weights;
  spec.seed = seed;
  return spec;
}

std::vector<uint8_t> Create(const ModelSpec& spec, const tokenizer::Vocab& vocab, int threads) {
  base::ThreadPool pool(threads);
  GgufWriter writer;
  const Status status = AddModel(spec, vocab, pool, writer);
  EXPECT_TRUE(status.ok()) << status;
  return writer.WriteToBuffer().value();
}

// Dequantised values of a tensor.
std::vector<float> Values(const GgufTensorInfo& t) {
  std::vector<float> out(t.num_elements());
  const int64_t row = t.dims[0];
  const int64_t row_bytes = kernels::GgmlRowBytes(t.type, row);
  for (int64_t r = 0; r < t.num_elements() / row; ++r) {
    kernels::DequantizeRow(t.type, t.data + r * row_bytes, out.data() + r * row, row);
  }
  return out;
}

void MeanAndStd(const std::vector<float>& v, double* mean, double* std) {
  double sum = 0, sum2 = 0;
  for (float x : v) sum += x;
  *mean = sum / v.size();
  for (float x : v) sum2 += (x - *mean) * (x - *mean);
  *std = std::sqrt(sum2 / v.size());
}

struct Case {
  Architecture arch;
  WeightScheme weights;
  const char* vocab;
  GgmlType weight_type;
};

class ModelCreatorTest : public ::testing::TestWithParam<Case> {};

TEST_P(ModelCreatorTest, ProducesAFileTheReaderLoads) {
  const Case& c = GetParam();
  const tokenizer::Vocab& vocab = RealVocab(c.vocab);
  const int64_t n_vocab = static_cast<int64_t>(vocab.tokens.size());
  const ModelSpec spec = TinySpec(c.arch, c.weights);
  const std::vector<uint8_t> bytes = Create(spec, vocab, 2);
  StatusOr<GgufFile> parsed = GgufFile::Parse(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const GgufFile& file = *parsed;
  const std::string arch(ArchitectureName(c.arch));
  EXPECT_EQ(file.GetString("general.architecture").value(), arch);
  EXPECT_EQ(file.GetString("general.name").value(), "test model");
  EXPECT_EQ(file.GetUint("general.file_type").value(), WeightSchemeFileType(c.weights));
  EXPECT_EQ(file.GetUint(arch + ".embedding_length").value(), 64u);
  EXPECT_EQ(file.GetUint(arch + ".block_count").value(), 2u);
  EXPECT_EQ(file.GetUint(arch + ".attention.head_count").value(), 4u);
  EXPECT_EQ(file.GetUint(arch + ".attention.head_count_kv").value(), 2u);
  EXPECT_EQ(file.GetUint(arch + ".feed_forward_length").value(), 128u);
  EXPECT_EQ(file.GetUint(arch + ".context_length").value(), 256u);
  EXPECT_EQ(file.GetUint(arch + ".rope.dimension_count").value(), 16u);
  EXPECT_EQ(file.GetUint(arch + ".vocab_size").value(), static_cast<uint64_t>(n_vocab));
  EXPECT_FLOAT_EQ(file.GetFloat(arch + ".rope.freq_base").value(), 10000.0f);
  EXPECT_FLOAT_EQ(file.GetFloat(arch + ".attention.layer_norm_rms_epsilon").value(), 1e-5f);

  const std::vector<PlannedTensor> plan = PlanModelTensors(spec, n_vocab);
  ASSERT_EQ(file.tensors().size(), plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    EXPECT_EQ(file.tensors()[i].name, plan[i].name);
    EXPECT_EQ(file.tensors()[i].dims, plan[i].dims);
    EXPECT_EQ(file.tensors()[i].type, plan[i].type);
  }
  EXPECT_THAT(file.GetTensor("token_embd.weight").value()->dims, ElementsAre(64, n_vocab));
  EXPECT_EQ(file.GetTensor("token_embd.weight").value()->type, c.weight_type);
  EXPECT_THAT(file.GetTensor("blk.1.attn_k.weight").value()->dims, ElementsAre(64, 32));
  EXPECT_THAT(file.GetTensor("blk.1.ffn_down.weight").value()->dims, ElementsAre(128, 64));
  EXPECT_EQ(file.GetTensor("blk.1.ffn_down.weight").value()->type, c.weight_type);
  EXPECT_EQ(file.GetTensor("blk.0.attn_norm.weight").value()->type, GgmlType::kF32);
  EXPECT_EQ(file.FindTensor("output.weight"), nullptr);  // tied
  const bool biases = c.arch == Architecture::kQwen2;
  EXPECT_EQ(file.FindTensor("blk.0.attn_q.bias") != nullptr, biases);
  if (biases) {
    EXPECT_THAT(file.GetTensor("blk.1.attn_v.bias").value()->dims, ElementsAre(32));
  }
  const tokenizer::Vocab read = ReadVocab(file).value();
  EXPECT_EQ(read.tokens, vocab.tokens);
  EXPECT_EQ(read.merges, vocab.merges);
  EXPECT_EQ(read.bos_id, vocab.bos_id);
}

INSTANTIATE_TEST_SUITE_P(
    ArchitecturesTypesAndVocabularies, ModelCreatorTest,
    ::testing::Values(Case{Architecture::kLlama, WeightScheme::kF32, "llama2", GgmlType::kF32},
                      Case{Architecture::kLlama, WeightScheme::kF16, "llama3", GgmlType::kF16},
                      Case{Architecture::kLlama, WeightScheme::kQ4_0, "gpt2", GgmlType::kQ4_0},
                      Case{Architecture::kQwen2, WeightScheme::kBF16, "qwen3", GgmlType::kBF16},
                      Case{Architecture::kQwen2, WeightScheme::kQ8_0, "llama2", GgmlType::kQ8_0},
                      Case{Architecture::kQwen2, WeightScheme::kQ4_0, "gpt2", GgmlType::kQ4_0}));

TEST(ModelCreatorDeterminismTest, SameBytesWhateverTheThreadCount) {
  const tokenizer::Vocab& vocab = RealVocab("llama2");
  const ModelSpec spec = TinySpec(Architecture::kQwen2, WeightScheme::kQ4_0);
  const std::vector<uint8_t> one = Create(spec, vocab, 1);
  EXPECT_EQ(Create(spec, vocab, 3), one);
  EXPECT_EQ(Create(spec, vocab, 8), one);
  EXPECT_NE(Create(TinySpec(Architecture::kQwen2, WeightScheme::kQ4_0, 8), vocab, 1), one);
}

TEST(ModelCreatorValuesTest, WeightsNormsAndBiasesHaveTheirDistributions) {
  const tokenizer::Vocab& vocab = RealVocab("llama2");
  ModelSpec spec = TinySpec(Architecture::kQwen2, WeightScheme::kF32);
  spec.init_std = 0.25;
  const std::vector<uint8_t> bytes = Create(spec, vocab, 2);
  const GgufFile file = GgufFile::Parse(bytes).value();
  double mean = 0, std = 0;
  MeanAndStd(Values(*file.GetTensor("token_embd.weight").value()), &mean, &std);
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(std, 0.25, 0.01);
  MeanAndStd(Values(*file.GetTensor("blk.0.ffn_up.weight").value()), &mean, &std);
  EXPECT_NEAR(std, 0.25, 0.02);
  MeanAndStd(Values(*file.GetTensor("blk.1.ffn_norm.weight").value()), &mean, &std);
  EXPECT_NEAR(mean, 1.0, 0.01);
  EXPECT_NEAR(std, 0.02, 0.01);
  MeanAndStd(Values(*file.GetTensor("blk.0.attn_q.bias").value()), &mean, &std);
  EXPECT_NEAR(std, 0.25, 0.1);
  // Different tensors draw different numbers.
  EXPECT_NE(Values(*file.GetTensor("blk.0.ffn_up.weight").value()),
            Values(*file.GetTensor("blk.0.ffn_gate.weight").value()));

  // The same seed quantised to Q8_0 gives the same values within the quantisation error.
  spec.weights = WeightScheme::kQ8_0;
  const std::vector<uint8_t> q8_bytes = Create(spec, vocab, 2);
  const GgufFile q8 = GgufFile::Parse(q8_bytes).value();
  const std::vector<float> exact = Values(*file.GetTensor("blk.1.attn_output.weight").value());
  const std::vector<float> quantised = Values(*q8.GetTensor("blk.1.attn_output.weight").value());
  ASSERT_EQ(exact.size(), quantised.size());
  for (size_t i = 0; i < exact.size(); ++i) ASSERT_NEAR(exact[i], quantised[i], 0.02) << i;
}

TEST(ModelCreatorTest, UntiedOutputAndFallbackTypes) {
  const tokenizer::Vocab& vocab = RealVocab("llama2");
  ModelSpec spec = TinySpec(Architecture::kLlama, WeightScheme::kQ4_0);
  spec.shape.tied_embeddings = false;
  spec.shape.ffn = 100;  // ffn_down rows of 100 do not fill 32-element blocks
  const std::vector<uint8_t> bytes = Create(spec, vocab, 2);
  const GgufFile file = GgufFile::Parse(bytes).value();
  const GgufTensorInfo* output = file.GetTensor("output.weight").value();
  EXPECT_THAT(output->dims, ElementsAre(64, 32000));
  EXPECT_EQ(output->type, GgmlType::kQ4_0);
  EXPECT_EQ(file.tensors().back().name, "output.weight");
  EXPECT_EQ(file.GetTensor("blk.0.ffn_down.weight").value()->type, GgmlType::kF16);
  EXPECT_EQ(file.GetTensor("blk.0.ffn_up.weight").value()->type, GgmlType::kQ4_0);
}

TEST(ModelCreatorTest, CreateModelFileWritesAFileAndRejectsBadSpecs) {
  const std::string path = ::testing::TempDir() + "model_creator_test.gguf";
  const tokenizer::Vocab& vocab = RealVocab("gpt2");
  base::ThreadPool pool(2);
  ASSERT_TRUE(
      CreateModelFile(TinySpec(Architecture::kLlama, WeightScheme::kF16), vocab, pool, path).ok());
  StatusOr<GgufFile> file = GgufFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->tensors().size(), 2u + 2u * 9u);
  std::filesystem::remove(path);

  ModelSpec bad = TinySpec(Architecture::kLlama, WeightScheme::kF16);
  bad.shape.kv_heads = 3;
  EXPECT_THAT(std::string(CreateModelFile(bad, vocab, pool, path).message()),
              HasSubstr("kv_heads = 3 does not divide heads = 4"));
  EXPECT_FALSE(std::filesystem::exists(path));
  tokenizer::Vocab empty;
  EXPECT_FALSE(
      CreateModelFile(TinySpec(Architecture::kLlama, WeightScheme::kF16), empty, pool, path).ok());
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace tokenfab::model
