// StreamingDetokenizer: turns the tokens of one sequence, as they are generated, into text that
// can be shown at once. Text is emitted only at UTF-8 character boundaries: when a token ends in
// the middle of a multi-byte character (a CJK character or an emoji split over byte tokens), the
// incomplete bytes are held back until the tokens that complete them arrive. Bytes that can never
// become a valid character are emitted as they are, at once.
//
// Flush() ends the sequence and returns whatever is still held back, as the raw bytes (not
// U+FFFD): so the concatenation of every Push() and the Flush() equals Tokenizer::Decode of the
// same ids, byte for byte, whatever the tokens.
//
// Positions: by default the tokens continue a prompt (generated text), and every token's text is
// kept as it is, including a leading "▁" space. With Options::sequence_start the tokens are a
// whole sequence from its start, and the SentencePiece prefix space is dropped as Decode does.
//
// Ownership: refers to the Tokenizer, which must outlive it. One per sequence; not thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "tokenfab/tokenizer/tokenizer.h"

namespace tokenfab::tokenizer {

class StreamingDetokenizer {
 public:
  struct Options {
    SpecialTokens special = SpecialTokens::kSkip;
    // The first token pushed starts the sequence (see the header comment).
    bool sequence_start = false;
  };

  explicit StreamingDetokenizer(const Tokenizer& tokenizer) : StreamingDetokenizer(tokenizer, {}) {}
  StreamingDetokenizer(const Tokenizer& tokenizer, Options options);

  // Adds one token; returns the text that is now complete (possibly empty).
  std::string Push(int32_t id);

  // Returns the bytes still held back and starts a new sequence (sequence_start applies again).
  std::string Flush();

  // Bytes held back, waiting for the rest of a character.
  size_t pending_bytes() const { return pending_.size(); }

 private:
  const Tokenizer& tokenizer_;
  Options options_;
  std::string pending_;
  bool strip_space_;
  bool at_start_ = true;
};

}  // namespace tokenfab::tokenizer
