// BpeEncoder: byte-level BPE (tokenizer.ggml.model = "gpt2": GPT-2, Llama 3, Qwen 2/3) for one
// pre-tokenized piece at a time.
//
// A piece starts as one token per byte; then, as long as some adjacent pair is a merge, the pair
// of lowest rank is merged (ties: the leftmost). A merge's rank is the position in
// tokenizer.ggml.merges of the first merge that yields the same token, so vocabularies that list
// several merges per token (Llama 3 lists every split of every token) merge by the token's rank,
// as tiktoken does. With whole-piece lookup on (tiktoken's rule), a piece that is itself a token
// is that token without merging.
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

class BpeEncoder {
 public:
  // `token_bytes[id]` are the bytes each token stands for (see Tokenizer); `mergeable[id]` says
  // whether encoding may produce the token (normal tokens; not control or user-defined ones).
  // Fails when a byte value has no token or no merge can be resolved.
  [[nodiscard]] static StatusOr<BpeEncoder> Create(const Vocab& vocab,
                                                   const std::vector<std::string>& token_bytes,
                                                   const std::vector<bool>& mergeable,
                                                   bool whole_piece_lookup);

  // Appends the tokens of `piece` (raw bytes, any value) to `out`.
  void Encode(std::string_view piece, std::vector<int32_t>* out) const;

  size_t num_merges() const { return merges_.size(); }

 private:
  struct Merge {
    int32_t rank;
    int32_t id;  // the merged token
  };
  static uint64_t Key(int32_t left, int32_t right) {
    return static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32 | static_cast<uint32_t>(right);
  }
  // The merge of (left, right), or nullptr.
  const Merge* Find(int32_t left, int32_t right) const {
    auto it = merges_.find(Key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }
  void EncodeShort(std::string_view piece, std::vector<int32_t>* out) const;
  void EncodeLong(std::string_view piece, std::vector<int32_t>* out) const;

  std::array<int32_t, 256> byte_token_{};
  absl::flat_hash_map<uint64_t, Merge> merges_;
  absl::flat_hash_map<std::string, int32_t> whole_pieces_;  // empty unless whole-piece lookup
};

}  // namespace tokenfab::tokenizer
