// ModelVocabularies: the tokenizer (and chat template) of each model the fleet file names in
// [[models]], loaded from a built-in vocabulary name or from a GGUF file's tokenizer metadata.
// The gateway counts tokens with them when an upstream does not report usage (a third-party
// server without include_usage, a stream cut short) and, for the kv-aware policy, hashes prompts
// into the same blocks tokenfab nodes report cached.
//
// A model without an entry gets an estimate: one token per 4 bytes of text, rounded up (the
// usual ratio for English BPE vocabularies), so metering never stops for want of a vocabulary.
//
// Immutable after Load; thread-safe. Shared by the requests that started under it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inference_request.h"
#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/tokenizer/chat_template.h"
#include "tokenfab/tokenizer/tokenizer.h"

namespace tokenfab::gateway {

class ModelVocabularies {
 public:
  // Loads every [[models]] entry of `config`. Entries equal to one in `previous` (same name and
  // source) are shared with it rather than loaded again. Errors name the model and the source.
  [[nodiscard]] static StatusOr<std::shared_ptr<const ModelVocabularies>> Load(
      const fleet::FleetConfig& config, const ModelVocabularies* previous = nullptr);

  // The model's tokenizer, or null when the fleet names no vocabulary for it.
  const tokenizer::Tokenizer* Find(std::string_view model) const;

  // Prompt tokens of `request` as its model sees them: chat messages rendered with the model's
  // chat template (a built-in one matching the vocabulary when the model has none), completion
  // prompts encoded with BOS, token-id prompts counted as given.
  int64_t CountPrompt(const InferenceRequest& request) const;
  // Tokens of generated `text`.
  int64_t CountText(std::string_view model, std::string_view text) const;
  // The prompt's token ids, or nullopt without a vocabulary (for block hashing).
  std::optional<std::vector<int32_t>> EncodePrompt(const InferenceRequest& request) const;

  // The estimate used without a vocabulary.
  static int64_t EstimateTokens(size_t bytes) { return static_cast<int64_t>((bytes + 3) / 4); }

  struct Entry {
    fleet::ModelSource source;
    std::shared_ptr<const tokenizer::Tokenizer> tokenizer;
    std::optional<tokenizer::ChatTemplate> chat_template;  // nullopt: contents are joined
  };

 private:
  const Entry* FindEntry(std::string_view model) const;
  std::unordered_map<std::string, std::shared_ptr<const Entry>> entries_;
};

}  // namespace tokenfab::gateway
