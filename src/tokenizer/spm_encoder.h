// SpmEncoder: SentencePiece-style BPE (tokenizer.ggml.model = "llama": Llama 2, TinyLlama,
// Mistral) over text whose spaces are already "▁" (U+2581).
//
// The text starts as one symbol per character. Repeatedly, of all adjacent pairs whose joined
// text is a mergeable token, the one whose token has the highest score is merged (ties: the
// leftmost). A final symbol that is not a token (a character outside the vocabulary) falls back
// to its bytes as <0xNN> tokens, or becomes one unknown token when the vocabulary lacks them.
// Each byte of ill-formed UTF-8 is a character of its own, so it always becomes a byte token.
//
// Immutable after Create(); thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "tokenfab/base/status.h"
#include "tokenfab/tokenizer/vocab.h"

namespace tokenfab::tokenizer {

class SpmEncoder {
 public:
  // `mergeable[id]`: whether encoding may produce the token (normal and user-defined tokens;
  // not control, unknown or byte tokens). Fails when a byte has neither a <0xNN> token nor is
  // there an unknown token to fall back to.
  [[nodiscard]] static StatusOr<SpmEncoder> Create(const Vocab& vocab,
                                                   const std::vector<bool>& mergeable);

  // Appends the tokens of `text` (spaces already escaped as "▁") to `out`.
  void Encode(std::string_view text, std::vector<int32_t>* out) const;

  // The <0xNN> token of byte `b`, or -1.
  int32_t byte_token(uint8_t b) const { return byte_token_[b]; }

 private:
  // The token whose text is `text`, or -1.
  int32_t Find(std::string_view text) const {
    auto it = by_text_.find(absl::string_view(text.data(), text.size()));
    return it == by_text_.end() ? -1 : it->second;
  }
  void AppendSymbol(std::string_view text, std::vector<int32_t>* out) const;

  absl::flat_hash_map<std::string, int32_t> by_text_;
  std::vector<float> scores_;
  std::array<int32_t, 256> byte_token_{};
  int32_t unk_id_ = -1;
};

}  // namespace tokenfab::tokenizer
