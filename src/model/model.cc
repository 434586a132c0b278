#include "tokenfab/model/model.h"

#include <fmt/format.h>

#include "tokenfab/model/gguf_vocab.h"

namespace tokenfab::model {
namespace {

Status InFile(const std::string& path, const Status& status) {
  return Status(status.code(), fmt::format("{}: {}", path, status.message()));
}

}  // namespace

Model::Model(std::string path, GgufFile file, ModelConfig config, ModelWeights weights,
             std::unique_ptr<tokenizer::Tokenizer> tokenizer)
    : path_(std::move(path)),
      file_(std::move(file)),
      config_(std::move(config)),
      weights_(std::move(weights)),
      tokenizer_(std::move(tokenizer)) {}

StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& path) {
  TF_ASSIGN_OR_RETURN(GgufFile file, GgufFile::Open(path));
  StatusOr<ModelConfig> config = ModelConfig::FromGguf(file);
  if (!config.ok()) return InFile(path, config.status());
  StatusOr<ModelWeights> weights = ModelWeights::FromGguf(file, *config);
  if (!weights.ok()) return InFile(path, weights.status());
  StatusOr<tokenizer::Vocab> vocab = ReadVocab(file);
  if (!vocab.ok()) return InFile(path, vocab.status());
  if (static_cast<int64_t>(vocab->tokens.size()) > config->n_vocab) {
    return absl::InvalidArgumentError(
        fmt::format("{}: the vocabulary has {} tokens but token_embd.weight only {} rows", path,
                    vocab->tokens.size(), config->n_vocab));
  }
  StatusOr<std::unique_ptr<tokenizer::Tokenizer>> tokenizer =
      tokenizer::Tokenizer::Create(*std::move(vocab));
  if (!tokenizer.ok()) return InFile(path, tokenizer.status());
  // The weights point into the mapping, which moving a GgufFile keeps in place.
  return std::unique_ptr<Model>(new Model(path, std::move(file), *std::move(config),
                                          *std::move(weights), *std::move(tokenizer)));
}

}  // namespace tokenfab::model
