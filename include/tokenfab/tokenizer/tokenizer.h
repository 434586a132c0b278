// Tokenizer: text to token ids and back, exactly as the model's own tokenizer does it; built from
// a Vocab (a GGUF file's tokenizer.* metadata). Token counts are what tokenfab bills, so Encode
// must agree with the reference tokenizers token for token.
//
// Two kinds of vocabulary (Vocab::type):
//  - byte-level BPE ("gpt2": GPT-2, Llama 3, Qwen 2/3): the text is split by the pre-tokenizer
//    that Vocab::pre names ("gpt-2", "llama-bpe", "qwen2", ...; Qwen normalises to NFC first),
//    then each piece's bytes are merged by the merge ranks. Equal to tiktoken.
//  - SentencePiece BPE ("llama": Llama 2, TinyLlama, Mistral): spaces become "▁", a "▁" is put
//    in front of the text when Vocab::add_space_prefix says so, pieces merge by score, and
//    characters outside the vocabulary fall back to <0xNN> byte tokens.
//
// Special tokens in the text: the text of a user-defined token ("<think>" in Qwen 3) is always
// that token, as in Hugging Face tokenizers and llama.cpp. The texts of control tokens
// ("<|eot_id|>", "<s>") and of the unknown token are recognised only when parse_special is set;
// otherwise they are plain text. Encode never fails: any byte string, valid UTF-8 or not, has an
// encoding, and Decode gives the bytes back (for Qwen: the NFC form of the text).
//
// Thread-safe: every method is const and the object is immutable after Create().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/tokenizer/vocab.h"

namespace tokenfab::tokenizer {

class StreamingDetokenizer;

// Whether Decode renders control and unknown tokens ("<|eot_id|>", "<s>") as their text.
enum class SpecialTokens {
  kSkip,    // they produce no text (the text of a generated answer)
  kRender,  // they produce their text (to show a prompt as the model sees it)
};

class Tokenizer {
 public:
  // Builds the tokenizer. Errors: an invalid vocabulary (Vocab::Validate), an unsupported
  // pre-tokenizer name, a byte-level vocabulary without a token for every byte, a SentencePiece
  // vocabulary with neither byte tokens nor an unknown token, add_bos/add_eos without the id.
  [[nodiscard]] static StatusOr<std::unique_ptr<Tokenizer>> Create(Vocab vocab);

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // The token ids of `text` (any bytes). With `add_special`, BOS and EOS are added as the
  // vocabulary says (Vocab::add_bos / add_eos). With `parse_special`, control-token texts in
  // `text` become those tokens (see the header comment).
  std::vector<int32_t> Encode(std::string_view text, bool add_special, bool parse_special) const;

  // The bytes `ids` stand for, concatenated; invalid UTF-8 stays as the raw bytes. Ids outside
  // the vocabulary produce U+FFFD (callers taking ids from the network check them first with
  // CheckIds). With a space-prefixed SentencePiece vocabulary, the leading space of the first
  // token after an optional initial BOS is dropped, undoing the prefix Encode added.
  std::string Decode(std::span<const int32_t> ids,
                     SpecialTokens special = SpecialTokens::kSkip) const;

  // `text` as the vocabulary's normaliser leaves it: NFC for Qwen (normalizer.h), unchanged
  // otherwise. Decode(Encode(text, false, false)) == Normalize(text) for every byte string.
  std::string Normalize(std::string_view text) const;

  // The bytes one token stands for: decoded text for normal tokens, the byte of a <0xNN> token,
  // the text of a control or user-defined token. U+FFFD for an id outside the vocabulary. The
  // view stays valid while the Tokenizer lives.
  std::string_view TokenToPiece(int32_t id) const;

  // OK when every id is in [0, vocab_size()); otherwise InvalidArgument naming the first bad id.
  [[nodiscard]] Status CheckIds(std::span<const int32_t> ids) const;

  // The id of the token whose stored text (Vocab::tokens) is `text`, or -1.
  int32_t FindToken(std::string_view text) const;

  int32_t vocab_size() const { return static_cast<int32_t>(vocab_.tokens.size()); }
  int32_t bos_id() const { return vocab_.bos_id; }  // -1 when the vocabulary has none
  int32_t eos_id() const { return vocab_.eos_id; }
  int32_t eot_id() const { return vocab_.eot_id; }
  // Whether generation stops at `id`: EOS, EOT, and the end-of-turn control tokens by text
  // (<|eot_id|>, <|eom_id|>, <|end_of_text|>, <|im_end|>, <|endoftext|>, <|end|>,
  // <end_of_turn>, <EOT>), as llama.cpp does.
  bool IsEndOfGeneration(int32_t id) const;
  // Control or unknown token: not text (SpecialTokens::kSkip leaves it out).
  bool IsControl(int32_t id) const;

  const Vocab& vocab() const { return vocab_; }

 private:
  friend class StreamingDetokenizer;
  struct Impl;

  explicit Tokenizer(Vocab vocab);

  // Decoding state shared by Decode and StreamingDetokenizer: appends the piece of `id`, and
  // drops the SentencePiece prefix space when `*strip_space` is set (and clears it once the
  // first token after an initial BOS has passed).
  void AppendPiece(int32_t id, SpecialTokens special, bool* strip_space, bool* at_start,
                   std::string* out) const;
  bool StripsPrefixSpace() const;

  Vocab vocab_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tokenfab::tokenizer
