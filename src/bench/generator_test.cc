#include "tokenfab/bench/generator.h"

#include <unistd.h>

#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "tokenfab/base/thread_pool.h"
#include "tokenfab/model/model.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::bench {

using engine::KvCacheShape;
using engine::KvCacheStorage;
using engine::ModelRunner;
using engine::SamplingParams;
namespace {

// A tiny random llama model with the GPT-2 vocabulary, written once for the whole suite, to a
// file of this process's own: ctest runs each test of the suite as its own process, in parallel.
class GeneratorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = new std::string(::testing::TempDir() + "/generator_test_" + std::to_string(getpid()) +
                            ".gguf");
    StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*tokenizer::FindVocabFile("gpt2"));
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    model::ModelSpec spec;
    spec.shape = model::FindNamedShape("tiny")->shape;
    spec.weights = model::WeightScheme::kF32;
    spec.seed = 5;
    base::ThreadPool pool(2);
    ASSERT_TRUE(model::CreateModelFile(spec, *vocab, pool, *path_).ok());
  }

  static void TearDownTestSuite() {
    std::remove(path_->c_str());
    delete path_;
    path_ = nullptr;
  }

  void SetUp() override {
    StatusOr<std::unique_ptr<model::Model>> model = model::Model::Load(*path_);
    ASSERT_TRUE(model.ok()) << model.status();
    model_ = *std::move(model);
    const model::ModelConfig& c = model_->config();
    kv_ = std::make_unique<KvCacheStorage>(
        KvCacheShape{c.n_layer, c.n_head_kv, c.head_dim, 16, 16, kernels::GgmlType::kF32});
    runner_ = std::make_unique<ModelRunner>(*model_, *kv_, 2);
  }

  // Generates from a fixed prompt; returns the text.
  std::string Run(const SamplingParams& params, uint64_t seed, int64_t chunk,
                  GenerationStats* stats = nullptr) {
    Generator generator(*runner_, *kv_, clock_);
    const std::vector<int32_t> prompt =
        model_->tokenizer().Encode("Once upon a time there was", false, false);
    std::string text;
    StatusOr<GenerationStats> result = generator.Generate(
        prompt, params, seed, chunk, [&](std::string_view piece) { text += piece; });
    EXPECT_TRUE(result.ok()) << result.status();
    if (stats != nullptr && result.ok()) *stats = *result;
    return text;
  }

  static std::string* path_;
  base::ManualClock clock_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<KvCacheStorage> kv_;
  std::unique_ptr<ModelRunner> runner_;
};

std::string* GeneratorTest::path_ = nullptr;

SamplingParams Greedy(int max_tokens) {
  SamplingParams params;
  params.temperature = 0;
  params.max_tokens = max_tokens;
  return params;
}

TEST_F(GeneratorTest, GreedyIsDeterministicAndIndependentOfThePrefillChunk) {
  GenerationStats stats;
  const std::string whole = Run(Greedy(12), 1, 512, &stats);
  EXPECT_EQ(stats.prompt_tokens, 6);
  EXPECT_EQ(stats.generated_tokens, 12);
  EXPECT_EQ(stats.finish_reason, "length");
  EXPECT_FALSE(whole.empty());
  EXPECT_EQ(Run(Greedy(12), 2, 512), whole);  // the seed does not matter when greedy
  EXPECT_EQ(Run(Greedy(12), 1, 1), whole);
  EXPECT_EQ(Run(Greedy(12), 1, 4), whole);
}

TEST_F(GeneratorTest, SeedMakesSamplingReproducible) {
  SamplingParams params;
  params.temperature = 1.0f;
  params.max_tokens = 16;
  const std::string a = Run(params, 42, 512);
  EXPECT_EQ(Run(params, 42, 512), a);
  EXPECT_NE(Run(params, 43, 512), a);
}

TEST_F(GeneratorTest, StopStringEndsGenerationAndIsNeverEmitted) {
  const std::string full = Run(Greedy(12), 1, 512);
  ASSERT_GE(full.size(), 6u);
  SamplingParams params = Greedy(12);
  params.stop_strings = {full.substr(3, 3)};
  GenerationStats stats;
  const std::string cut = Run(params, 1, 512, &stats);
  EXPECT_EQ(stats.finish_reason, "stop");
  EXPECT_EQ(cut, full.substr(0, full.find(params.stop_strings[0])));
}

TEST_F(GeneratorTest, StopsAtTheCachesCapacity) {
  GenerationStats stats;
  Run(Greedy(10'000), 1, 512, &stats);
  EXPECT_EQ(stats.prompt_tokens + stats.generated_tokens, 16 * 16);  // 16 blocks of 16 tokens
  EXPECT_EQ(stats.finish_reason, "length");
}

TEST_F(GeneratorTest, RejectsBadInput) {
  Generator generator(*runner_, *kv_, clock_);
  auto ignore = [](std::string_view) {};
  EXPECT_EQ(generator.Generate({}, Greedy(4), 1, 512, ignore).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<int32_t> bad = {1, 999'999};
  EXPECT_EQ(generator.Generate(bad, Greedy(4), 1, 512, ignore).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<int32_t> too_long(16 * 16, 1);
  EXPECT_EQ(generator.Generate(too_long, Greedy(4), 1, 512, ignore).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tokenfab::bench
