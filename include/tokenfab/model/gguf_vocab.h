// Reading and writing a vocabulary (tokenizer::Vocab) as a GGUF file's tokenizer.* metadata.
//
// ReadVocab applies the defaults llama.cpp applies when a key is absent, so a file means the same
// to tokenfab as to llama.cpp:
//   tokenizer.ggml.model "llama" (SentencePiece): bos 1, eos 2, unknown 0, add_bos true,
//       add_space_prefix true;
//   tokenizer.ggml.model "gpt2" (byte-level BPE): bos 11, eos 11, add_bos true only for the
//       Llama 3 family of pre-tokenizers ("llama3", "llama-v3", "llama-bpe", "falcon3",
//       "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano") and "tekken", "chameleon";
//       add_space_prefix false; tokenizer.ggml.merges required;
//   tokenizer.ggml.pre absent: "default"; add_eos false; every other id -1;
//   a default id outside the vocabulary becomes -1; an explicit id outside it is ignored (the
//       default stays), as llama.cpp does;
//   no tokenizer.ggml.eot_token_id: the first of "<|eot_id|>", "<|im_end|>", "<|end|>",
//       "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]",
//       "<｜end▁of▁sentence｜>", "<end_of_utterance>" the vocabulary holds (llama.cpp looks for
//       the same texts).
// Other tokenizer models (bert, t5, ...) are errors. The result passes Vocab::Validate.
//
// WriteVocab writes every field the Vocab sets, the three flags always (GGUF cannot say "no id":
// an id of -1 is written as an absent key). Reading it back gives the same Vocab, except where
// the defaults above fill an absent key: an id of -1 reads back as the model type's default id
// (an eot_id of -1 as the detected end-of-turn token), an empty `pre` as "default".
//
// Stateless functions; thread-safe.
#pragma once

#include "tokenfab/base/status.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_writer.h"
#include "tokenfab/tokenizer/vocab.h"

namespace tokenfab::model {

[[nodiscard]] StatusOr<tokenizer::Vocab> ReadVocab(const GgufFile& file);

// Validates `vocab` first; writes nothing when it is invalid.
[[nodiscard]] Status WriteVocab(const tokenizer::Vocab& vocab, GgufWriter& writer);

}  // namespace tokenfab::model
