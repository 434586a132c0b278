#include "tokenfab/tokenizer/streaming_detokenizer.h"

#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::tokenizer {

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer, Options options)
    : tokenizer_(tokenizer),
      options_(options),
      strip_space_(options.sequence_start && tokenizer.StripsPrefixSpace()) {}

std::string StreamingDetokenizer::Push(int32_t id) {
  tokenizer_.AppendPiece(id, options_.special, &strip_space_, &at_start_, &pending_);
  const size_t complete = CompletePrefixLength(pending_);
  std::string out = pending_.substr(0, complete);
  pending_.erase(0, complete);
  return out;
}

std::string StreamingDetokenizer::Flush() {
  std::string out = std::move(pending_);
  pending_.clear();
  strip_space_ = options_.sequence_start && tokenizer_.StripsPrefixSpace();
  at_start_ = true;
  return out;
}

}  // namespace tokenfab::tokenizer
