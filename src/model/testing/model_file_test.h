// ModelFileTest: a GoogleTest fixture for the model-layer tests that write a model with
// `AddModel` (gpt2 vocabulary, random weights), optionally edit its metadata, parse it back from
// memory and read its config and weights. Header-only (test binaries only).
//
// Owns the parsed files' bytes for the test's lifetime. Not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/thread_pool.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/model/model_config.h"
#include "tokenfab/model/model_creator.h"
#include "tokenfab/model/model_weights.h"
#include "tokenfab/tokenizer/vocab_source.h"

namespace tokenfab::model::testing {

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::string> path = tokenizer::FindVocabFile("gpt2");
    ASSERT_TRUE(path.ok()) << path.status();
    StatusOr<tokenizer::Vocab> vocab = tokenizer::LoadVocabJson(*path);
    ASSERT_TRUE(vocab.ok()) << vocab.status();
    vocab_ = *std::move(vocab);
  }

  // An F32 spec of `arch` on the named shape `shape` (by default the architecture's own).
  static ModelSpec SpecOf(Architecture arch, std::string_view shape = {}) {
    ModelSpec spec;
    spec.arch = arch;
    spec.shape = FindNamedShape(shape.empty() ? DefaultShapeName(arch) : shape)->shape;
    spec.weights = WeightScheme::kF32;
    return spec;
  }

  // Writes the model of `spec` with `edit` applied to its metadata, and parses it back.
  GgufFile Build(const ModelSpec& spec, const std::function<void(GgufWriter&)>& edit = {}) {
    GgufWriter writer;
    Status status = AddModel(spec, vocab_, pool_, writer);
    EXPECT_TRUE(status.ok()) << status;
    if (edit) edit(writer);
    StatusOr<std::vector<uint8_t>> bytes = writer.WriteToBuffer();
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    buffers_.push_back(*std::move(bytes));
    StatusOr<GgufFile> file = GgufFile::Parse(buffers_.back());
    EXPECT_TRUE(file.ok()) << file.status();
    return *std::move(file);
  }

  // The first load error of `file` (config, then weights), or "" when it loads.
  static std::string Error(const GgufFile& file) {
    StatusOr<ModelConfig> config = ModelConfig::FromGguf(file);
    if (!config.ok()) return std::string(config.status().message());
    StatusOr<ModelWeights> weights = ModelWeights::FromGguf(file, *config);
    return weights.ok() ? "" : std::string(weights.status().message());
  }

  tokenizer::Vocab vocab_;
  base::ThreadPool pool_{2};
  std::vector<std::vector<uint8_t>> buffers_;  // std::vector's buffers stay put when it grows
};

}  // namespace tokenfab::model::testing
