// PreTokenizer: splits text into the pieces byte-level BPE encodes one at a time, exactly as the
// regular expressions of the reference tokenizers do, but with a hand-written matcher (no regex
// engine). The three patterns, tried in order at each position (leftmost-first alternation,
// greedy quantifiers, as tiktoken's Rust regex matches them):
//
//   GPT-2   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//   Llama 3 (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//           ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//   Qwen 2  as Llama 3 with \p{N} instead of \p{N}{1,3}, after NFC normalisation
//
// Character classes come from unicode_class.h. (?i) folds as Unicode simple case folding does:
// "'ſ" (U+017F LONG S) is a contraction like "'s". Each byte of ill-formed UTF-8 counts as one
// character of no class ([^\s\p{L}\p{N}]), so any byte string splits and the pieces concatenate
// back to the input. Immutable after construction; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::tokenizer {

enum class PrePattern {
  kGpt2,
  kLlama3,
  kQwen2,
};

class PreTokenizer {
 public:
  // The pre-tokenizer named by tokenizer.ggml.pre: "gpt-2" (also "phi-2", "mpt", "olmo"),
  // "llama-bpe" (also "llama3", "llama-v3", "dbrx", "smaug-bpe", "falcon3", "pixtral"), "qwen2"
  // (also "deepseek-r1-qwen"; both with NFC) and "stablelm2" (the Qwen 2 pattern, no NFC).
  // Any other name is an Unimplemented error: guessing a pattern would give wrong counts.
  [[nodiscard]] static StatusOr<PreTokenizer> ForName(std::string_view pre);

  PreTokenizer(PrePattern pattern, bool nfc) : pattern_(pattern), nfc_(nfc) {}

  PrePattern pattern() const { return pattern_; }
  // Whether the text is NFC-normalised before splitting (the caller does that, see normalizer.h).
  bool nfc() const { return nfc_; }

  // Appends the pieces of `text`, in order, to `pieces` (views into `text`). Every piece is
  // non-empty and together they are `text`.
  void Split(std::string_view text, std::vector<std::string_view>* pieces) const;

 private:
  PrePattern pattern_;
  bool nfc_;
};

}  // namespace tokenfab::tokenizer
