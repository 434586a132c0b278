// Model: a GGUF model file opened for inference: the mapping, its hyper-parameters, its weights
// (views into the mapping) and its tokenizer, all checked at load time.
//
// Ownership: owns everything; the weights point into the file it owns, so a Model is handed
// around by unique_ptr and never moved. Immutable after Load(); thread-safe to read from any
// number of runners.
#pragma once

#include <memory>
#include <string>

#include "tokenfab/base/status.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/model_config.h"
#include "tokenfab/model/model_weights.h"
#include "tokenfab/tokenizer/tokenizer.h"

namespace tokenfab::model {

class Model {
 public:
  // Opens `path`; errors name the file and what is wrong with it.
  [[nodiscard]] static StatusOr<std::unique_ptr<Model>> Load(const std::string& path);

  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::string& path() const { return path_; }
  const GgufFile& file() const { return file_; }
  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }
  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }

 private:
  Model(std::string path, GgufFile file, ModelConfig config, ModelWeights weights,
        std::unique_ptr<tokenizer::Tokenizer> tokenizer);

  std::string path_;
  GgufFile file_;
  ModelConfig config_;
  ModelWeights weights_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
};

}  // namespace tokenfab::model
