#include "tokenizer/spm_encoder.h"

#include <fmt/format.h>

#include <queue>

#include "tokenfab/tokenizer/utf8.h"

namespace tokenfab::tokenizer {
namespace {

// Parses "<0xNN>", the text of a byte token. Returns -1 for anything else.
int ParseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value |= c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      value |= c - 'a' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

}  // namespace

StatusOr<SpmEncoder> SpmEncoder::Create(const Vocab& vocab, const std::vector<bool>& mergeable) {
  SpmEncoder encoder;
  const int32_t n = static_cast<int32_t>(vocab.tokens.size());
  encoder.byte_token_.fill(-1);
  encoder.by_text_.reserve(n);
  encoder.scores_.assign(n, 0.0f);
  for (int32_t id = 0; id < n; ++id) {
    if (!vocab.scores.empty()) encoder.scores_[id] = vocab.scores[id];
    const TokenType type = vocab.token_types.empty() ? TokenType::kNormal : vocab.token_types[id];
    if (type == TokenType::kByte) {
      const int b = ParseByteToken(vocab.tokens[id]);
      if (b >= 0 && encoder.byte_token_[b] < 0) encoder.byte_token_[b] = id;
      continue;
    }
    if (mergeable[id]) encoder.by_text_.try_emplace(vocab.tokens[id], id);
  }
  encoder.unk_id_ = vocab.unk_id;
  for (int b = 0; b < 256; ++b) {
    if (encoder.byte_token_[b] < 0 && encoder.unk_id_ < 0) {
      return absl::InvalidArgumentError(fmt::format(
          "SentencePiece vocabulary has no byte token <0x{:02X}> and no unknown token", b));
    }
  }
  return encoder;
}

void SpmEncoder::AppendSymbol(std::string_view text, std::vector<int32_t>* out) const {
  if (int32_t id = Find(text); id >= 0) {
    out->push_back(id);
    return;
  }
  for (char c : text) {
    if (byte_token_[static_cast<uint8_t>(c)] < 0) {
      out->push_back(unk_id_);  // no byte fallback: one unknown token for the character
      return;
    }
  }
  for (char c : text) out->push_back(byte_token_[static_cast<uint8_t>(c)]);
}

void SpmEncoder::Encode(std::string_view text, std::vector<int32_t>* out) const {
  if (text.empty()) return;
  // Symbols are byte ranges [start, start + len) of `text`, linked in order.
  struct Symbol {
    size_t start;
    size_t len;  // 0 once merged into its left neighbour
    int32_t prev;
    int32_t next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const uint32_t len = DecodeUtf8(text, pos).length;
    const int32_t index = static_cast<int32_t>(symbols.size());
    symbols.push_back({pos, len, index - 1, pos + len < text.size() ? index + 1 : -1});
    pos += len;
  }
  struct Bigram {
    float score;
    int32_t left;
    int32_t right;
    size_t len;  // joined length when queued: a changed symbol makes the entry stale
    bool operator<(const Bigram& o) const {
      return score != o.score ? score < o.score : left > o.left;
    }
  };
  std::priority_queue<Bigram> queue;
  auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const size_t len = symbols[left].len + symbols[right].len;
    const int32_t id = Find(text.substr(symbols[left].start, len));
    if (id >= 0) queue.push({scores_[id], left, right, len});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(symbols.size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& left = symbols[b.left];
    Symbol& right = symbols[b.right];
    if (left.len == 0 || right.len == 0 || left.next != b.right || left.len + right.len != b.len) {
      continue;
    }
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = b.left;
    try_add(left.prev, b.left);
    try_add(b.left, left.next);
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    AppendSymbol(text.substr(symbols[i].start, symbols[i].len), out);
  }
}

}  // namespace tokenfab::tokenizer
