#include "tokenizer/bpe_encoder.h"

#include <fmt/format.h>

#include <limits>
#include <queue>

#include "absl/container/inlined_vector.h"

namespace tokenfab::tokenizer {
namespace {

// Pieces up to this many bytes merge by rescanning the pair ranks (fast for the short pieces
// that make up nearly all text); longer ones use a heap, so a long run stays O(n log n).
constexpr size_t kShortPiece = 96;
constexpr int32_t kNoRank = std::numeric_limits<int32_t>::max();

}  // namespace

StatusOr<BpeEncoder> BpeEncoder::Create(const Vocab& vocab,
                                        const std::vector<std::string>& token_bytes,
                                        const std::vector<bool>& mergeable,
                                        bool whole_piece_lookup) {
  BpeEncoder encoder;
  const int32_t n = static_cast<int32_t>(vocab.tokens.size());
  absl::flat_hash_map<std::string_view, int32_t> by_text;  // token text as stored -> id
  by_text.reserve(n);
  absl::flat_hash_map<std::string_view, int32_t> by_bytes;
  by_bytes.reserve(n);
  for (int32_t id = 0; id < n; ++id) {
    if (!mergeable[id]) continue;
    by_text.try_emplace(vocab.tokens[id], id);
    by_bytes.try_emplace(token_bytes[id], id);
  }
  for (int b = 0; b < 256; ++b) {
    auto it = by_bytes.find(std::string_view(std::string(1, static_cast<char>(b))));
    if (it == by_bytes.end()) {
      return absl::InvalidArgumentError(fmt::format(
          "byte-level BPE vocabulary has no token for byte 0x{:02X}; it cannot encode all text",
          b));
    }
    encoder.byte_token_[b] = it->second;
  }

  // Rank of a token = position of the first merge that yields it.
  std::vector<int32_t> token_rank(n, kNoRank);
  encoder.merges_.reserve(vocab.merges.size());
  int64_t unresolved = 0;
  for (size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const std::string& merge = vocab.merges[rank];
    bool resolved = false;
    // Normally "left right" with one space; try every space in case a token text holds one.
    for (size_t space = merge.find(' '); space != std::string::npos && !resolved;
         space = merge.find(' ', space + 1)) {
      std::string_view left(merge.data(), space);
      std::string_view right(merge.data() + space + 1, merge.size() - space - 1);
      auto l = by_text.find(left);
      auto r = by_text.find(right);
      if (l == by_text.end() || r == by_text.end()) continue;
      std::string joined;
      joined.reserve(merge.size() - 1);
      joined.append(left).append(right);
      auto m = by_text.find(std::string_view(joined));
      if (m == by_text.end()) continue;
      resolved = true;
      int32_t& merged_rank = token_rank[m->second];
      if (merged_rank == kNoRank) merged_rank = static_cast<int32_t>(rank);
      encoder.merges_.try_emplace(Key(l->second, r->second), Merge{merged_rank, m->second});
    }
    if (!resolved) ++unresolved;
  }
  if (unresolved > 0 && static_cast<size_t>(unresolved) == vocab.merges.size()) {
    return absl::InvalidArgumentError(
        "byte-level BPE vocabulary: no entry of tokenizer.ggml.merges names known tokens");
  }
  if (whole_piece_lookup) {
    encoder.whole_pieces_.reserve(by_bytes.size());
    for (const auto& [bytes, id] : by_bytes)
      encoder.whole_pieces_.try_emplace(std::string(bytes), id);
  }
  return encoder;
}

void BpeEncoder::Encode(std::string_view piece, std::vector<int32_t>* out) const {
  if (piece.empty()) return;
  if (piece.size() == 1) {
    out->push_back(byte_token_[static_cast<uint8_t>(piece[0])]);
    return;
  }
  if (!whole_pieces_.empty()) {
    auto it = whole_pieces_.find(absl::string_view(piece.data(), piece.size()));
    if (it != whole_pieces_.end()) {
      out->push_back(it->second);
      return;
    }
  }
  if (piece.size() <= kShortPiece) {
    EncodeShort(piece, out);
  } else {
    EncodeLong(piece, out);
  }
}

void BpeEncoder::EncodeShort(std::string_view piece, std::vector<int32_t>* out) const {
  absl::InlinedVector<int32_t, kShortPiece> ids;
  absl::InlinedVector<const Merge*, kShortPiece> pair;  // pair[i]: merge of ids[i], ids[i + 1]
  for (char c : piece) ids.push_back(byte_token_[static_cast<uint8_t>(c)]);
  for (size_t i = 0; i + 1 < ids.size(); ++i) pair.push_back(Find(ids[i], ids[i + 1]));
  while (true) {
    size_t best = pair.size();
    int32_t best_rank = kNoRank;
    for (size_t i = 0; i < pair.size(); ++i) {
      if (pair[i] != nullptr && pair[i]->rank < best_rank) {
        best_rank = pair[i]->rank;
        best = i;
      }
    }
    if (best == pair.size()) break;
    ids[best] = pair[best]->id;
    ids.erase(ids.begin() + best + 1);
    pair.erase(pair.begin() + best);
    if (best < pair.size()) pair[best] = Find(ids[best], ids[best + 1]);
    if (best > 0) pair[best - 1] = Find(ids[best - 1], ids[best]);
  }
  out->insert(out->end(), ids.begin(), ids.end());
}

void BpeEncoder::EncodeLong(std::string_view piece, std::vector<int32_t>* out) const {
  // A doubly linked list of symbols over the bytes, and a min-heap of candidate merges that are
  // checked against the list when popped (stale entries are skipped).
  const int32_t n = static_cast<int32_t>(piece.size());
  std::vector<int32_t> id(n), prev(n), next(n);
  for (int32_t i = 0; i < n; ++i) {
    id[i] = byte_token_[static_cast<uint8_t>(piece[i])];
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int32_t rank;
    int32_t left;  // symbol positions; the left one is also the tie-breaker
    int32_t right;
    int32_t left_id;
    int32_t right_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    if (const Merge* m = Find(id[left], id[right])) {
      heap.push({m->rank, left, right, id[left], id[right]});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i, i + 1);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    if (id[c.left] != c.left_id || next[c.left] != c.right || id[c.right] != c.right_id) continue;
    id[c.left] = Find(c.left_id, c.right_id)->id;
    id[c.right] = -1;
    next[c.left] = next[c.right];
    if (next[c.right] >= 0) prev[next[c.right]] = c.left;
    push(prev[c.left], c.left);
    push(c.left, next[c.left]);
  }
  for (int32_t i = 0; i >= 0; i = next[i]) out->push_back(id[i]);
}

}  // namespace tokenfab::tokenizer
