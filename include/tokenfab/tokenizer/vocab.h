// Vocab: everything a tokenizer is built from, as a GGUF file's `tokenizer.*` metadata carries it.
// The model layer reads and writes it from and to GGUF; vocab_source.h reads it from the npm
// vocabulary packages (through tools/vocab/export_vocabs.mjs). A plain value: copyable, no
// internal synchronisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::tokenizer {

// tokenizer.ggml.model
enum class VocabType {
  kByteLevelBpe,      // "gpt2": GPT-2, Llama 3, Qwen 2/3 (byte-level BPE with merges)
  kSentencePieceBpe,  // "llama": Llama 2, TinyLlama, Mistral (scores, byte fallback)
};

// tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct Vocab {
  VocabType type = VocabType::kByteLevelBpe;
  // tokenizer.ggml.pre: the pre-tokenizer ("gpt-2", "llama-bpe", "qwen2", "default", ...).
  std::string pre;
  // tokenizer.ggml.tokens: token text as the file stores it (byte-level BPE: bytes mapped to
  // printable code points, "Ġ" for a space; SentencePiece: "▁" for a space, "<0x0A>" bytes).
  std::vector<std::string> tokens;
  // tokenizer.ggml.scores: one per token (SentencePiece merge priority); may be empty for BPE.
  std::vector<float> scores;
  // tokenizer.ggml.token_type: one per token.
  std::vector<TokenType> token_types;
  // tokenizer.ggml.merges: "left right", highest priority first (byte-level BPE only).
  std::vector<std::string> merges;

  // Special token ids; -1 when the file names none.
  int32_t bos_id = -1;  // tokenizer.ggml.bos_token_id
  int32_t eos_id = -1;  // tokenizer.ggml.eos_token_id
  int32_t eot_id = -1;  // tokenizer.ggml.eot_token_id (end of turn, e.g. <|eot_id|>)
  int32_t unk_id = -1;  // tokenizer.ggml.unknown_token_id
  int32_t pad_id = -1;  // tokenizer.ggml.padding_token_id

  bool add_bos = false;           // tokenizer.ggml.add_bos_token
  bool add_eos = false;           // tokenizer.ggml.add_eos_token
  bool add_space_prefix = false;  // tokenizer.ggml.add_space_prefix (SentencePiece)

  // tokenizer.chat_template (Jinja source); empty when the file has none.
  std::string chat_template;

  // Checks sizes and ids for consistency: tokens non-empty, scores/token_types empty or one per
  // token, special ids -1 or in range, merges only for byte-level BPE. The error names the field.
  [[nodiscard]] Status Validate() const;
};

}  // namespace tokenfab::tokenizer
