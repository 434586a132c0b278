#include "tokenfab/fleet/model_parameters.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fleet/testing/minimal_fleet_toml.h"
#include "tokenfab/base/thread_pool.h"
#include "tokenfab/fleet/fleet_config_loader.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::fleet {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kGpt2Vocab = 50257;

// The minimal fleet file with a [[models]] entry for its model "m" (lines 28 on).
std::string FleetWithModel(const std::string& model_lines) {
  return std::string(testing::kMinimalFleetToml) + "[[models]]\nname = \"m\"\n" + model_lines;
}

class ModelParametersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tokenfab-model-params-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A small random-weight model with the gpt2 vocabulary, written to dir_/name.
  std::string Create(const model::ModelSpec& spec, const std::string& name) {
    StatusOr<std::string> vocab_path = tokenizer::FindVocabFile("gpt2");
    EXPECT_TRUE(vocab_path.ok()) << vocab_path.status();
    StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*vocab_path);
    EXPECT_TRUE(vocab.ok()) << vocab.status();
    const std::string path = (dir_ / name).string();
    Status status = model::CreateModelFile(spec, *vocab, pool_, path);
    EXPECT_TRUE(status.ok()) << status;
    return path;
  }

  static model::ModelSpec Dense(model::WeightScheme weights) {
    model::ModelSpec spec;
    spec.arch = model::Architecture::kLlama;
    spec.shape = {.dim = 64, .layers = 2, .heads = 4, .kv_heads = 2, .ffn = 128, .context = 256};
    spec.weights = weights;
    return spec;
  }

  fs::path dir_;
  base::ThreadPool pool_{2};
};

TEST_F(ModelParametersTest, ADenseFileGivesItsParameterCountAndWeightSize) {
  ModelSource model{
      .name = "m", .vocab = "", .gguf = Create(Dense(model::WeightScheme::kF32), "d.gguf")};
  StatusOr<bool> filled = FillModelParametersFromGguf(model);
  ASSERT_TRUE(filled.ok()) << filled.status();
  EXPECT_TRUE(*filled);
  // By hand: tied embeddings 64 x V, the output norm 64, and per block two norms (64 each),
  // Q and O (64 x 64), K and V (64 x 32: two KV heads of 16), gate, up and down (64 x 128).
  const int64_t block = 2 * 64 + 2 * 64 * 64 + 2 * 64 * 32 + 3 * 64 * 128;
  EXPECT_DOUBLE_EQ(model.params_b * 1e9, 64.0 * kGpt2Vocab + 64 + 2 * block);
  EXPECT_EQ(model.active_params_b, 0);     // dense: a token uses every parameter
  EXPECT_EQ(model.bytes_per_weight, 4.0);  // every tensor F32
}

TEST_F(ModelParametersTest, AMixtureOfExpertsComputesWithTheExpertsItUses) {
  model::ModelSpec spec = Dense(model::WeightScheme::kF32);
  spec.arch = model::Architecture::kQwen3Moe;
  spec.shape.moe = {.experts = 4, .experts_used = 1, .expert_ffn = 32};
  ModelSource model{.name = "m", .vocab = "", .gguf = Create(spec, "moe.gguf")};
  ASSERT_TRUE(FillModelParametersFromGguf(model).ok());
  // A token skips 3 of the 4 experts' gate, up and down (64 x 32 each) in both blocks.
  EXPECT_NEAR((model.params_b - model.active_params_b) * 1e9, 2 * 3 * 3 * 64 * 32, 1e-3);
}

TEST_F(ModelParametersTest, TheFleetLoaderFillsTheRooflineOfAQuantisedModel) {
  const std::string f16 = Create(Dense(model::WeightScheme::kF16), "f16.gguf");
  const std::string q8 = Create(Dense(model::WeightScheme::kQ8_0), "q8.gguf");
  auto by_hand = ParseFleetConfig(FleetWithModel("vocab = \"gpt2\"\nparams_b = 8\n"), "f.toml");
  auto half = ParseFleetConfig(FleetWithModel("gguf = \"" + f16 + "\"\n"), "f.toml");
  auto quant = ParseFleetConfig(FleetWithModel("gguf = \"" + q8 + "\"\n"), "f.toml");
  ASSERT_TRUE(by_hand.ok() && half.ok() && quant.ok());
  EXPECT_GT(half->models()[0].bytes_per_weight, 2.0);  // F16 matrices, F32 norms
  // Q8_0: 34 bytes per block of 32 weights (the norms, F32, add a little).
  EXPECT_NEAR(quant->models()[0].bytes_per_weight, 34.0 / 32, 0.01);
  // A decode step streams the weights: at 16 bits this tiny model's decode is bound by memory
  // bandwidth (below the compute roof, the prefill rate); at 8.5 bits the same upstream reaches
  // the compute roof.
  const Throughput& h = half->upstreams()[0].nominal;
  const Throughput& q = quant->upstreams()[0].nominal;
  EXPECT_LT(h.decode_tokens_per_s, 0.97 * h.prefill_tokens_per_s);
  EXPECT_DOUBLE_EQ(q.decode_tokens_per_s, q.prefill_tokens_per_s);
  // Both are far smaller than the 8 B a fleet file gives by hand.
  EXPECT_GT(half->upstreams()[0].nominal.decode_tokens_per_s,
            100 * by_hand->upstreams()[0].nominal.decode_tokens_per_s);
}

TEST_F(ModelParametersTest, WhatTheFileGivesByHandWinsAndAFileNotHereIsLeftAlone) {
  const std::string path = Create(Dense(model::WeightScheme::kF32), "d.gguf");
  ModelSource given{.name = "m", .vocab = "", .gguf = path, .params_b = 70};
  EXPECT_FALSE(*FillModelParametersFromGguf(given));
  EXPECT_EQ(given.params_b, 70);
  ModelSource absent{.name = "m", .vocab = "", .gguf = (dir_ / "none.gguf").string()};
  EXPECT_FALSE(*FillModelParametersFromGguf(absent));
  EXPECT_EQ(absent.params_b, 0);
}

TEST_F(ModelParametersTest, ABrokenFileIsALoadErrorNamingTheField) {
  const std::string path = (dir_ / "broken.gguf").string();
  std::ofstream(path) << "GGUF but not really";
  auto config = ParseFleetConfig(FleetWithModel("gguf = \"" + path + "\"\n"), "f.toml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), HasSubstr("f.toml:30: models[0].gguf:"));
  EXPECT_THAT(config.status().message(), HasSubstr("broken.gguf"));
}

}  // namespace
}  // namespace tokenfab::fleet
