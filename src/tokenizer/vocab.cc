#include "tokenfab/tokenizer/vocab.h"

#include <fmt/format.h>

namespace tokenfab::tokenizer {

Status Vocab::Validate() const {
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return absl::InvalidArgumentError("vocabulary: tokenizer.ggml.tokens is empty");
  if (!scores.empty() && static_cast<int64_t>(scores.size()) != n) {
    return absl::InvalidArgumentError(fmt::format(
        "vocabulary: tokenizer.ggml.scores has {} entries for {} tokens", scores.size(), n));
  }
  if (!token_types.empty() && static_cast<int64_t>(token_types.size()) != n) {
    return absl::InvalidArgumentError(
        fmt::format("vocabulary: tokenizer.ggml.token_type has {} entries for {} tokens",
                    token_types.size(), n));
  }
  for (size_t i = 0; i < token_types.size(); ++i) {
    const int32_t t = static_cast<int32_t>(token_types[i]);
    if (t < 0 || t > static_cast<int32_t>(TokenType::kByte)) {
      return absl::InvalidArgumentError(
          fmt::format("vocabulary: token {} has unknown token type {}", i, t));
    }
  }
  if (type == VocabType::kSentencePieceBpe && !merges.empty()) {
    return absl::InvalidArgumentError(
        "vocabulary: tokenizer.ggml.merges given for a SentencePiece (llama) vocabulary");
  }
  if (type == VocabType::kByteLevelBpe && merges.empty() && n > 256) {
    return absl::InvalidArgumentError(
        "vocabulary: byte-level BPE (gpt2) vocabulary without tokenizer.ggml.merges");
  }
  struct Special {
    const char* key;
    int32_t id;
  };
  for (const Special& special :
       {Special{"bos_token_id", bos_id}, Special{"eos_token_id", eos_id},
        Special{"eot_token_id", eot_id}, Special{"unknown_token_id", unk_id},
        Special{"padding_token_id", pad_id}}) {
    if (special.id < -1 || special.id >= n) {
      return absl::InvalidArgumentError(
          fmt::format("vocabulary: tokenizer.ggml.{} = {} is outside the {} tokens", special.key,
                      special.id, n));
    }
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::tokenizer
