// SpecialTokenMatcher: finds the texts of special tokens (control, user-defined, unknown) in
// input text, so that they become their own tokens before pre-tokenization.
//
// A byte trie of the token texts. Matching is leftmost, then longest at that position:
// "<|reserved_special_token_10|>" wins over "<|reserved_special_token_1" and a token that starts
// earlier wins over one that starts later. For the vocabularies we know this is what llama.cpp
// (longest token first, over the whole text) and Hugging Face tokenizers (leftmost-longest) both
// do; they could only differ when one token's text overlaps the start of another's occurrence.
//
// Immutable after the tokens are added; thread-safe for concurrent Find calls.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tokenfab::tokenizer {

class SpecialTokenMatcher {
 public:
  struct Match {
    size_t pos = 0;     // where the token's text starts
    size_t length = 0;  // 0 when nothing matched
    int32_t id = -1;
  };

  // Adds a token. An empty text is ignored; a text added twice keeps the first id.
  void Add(std::string_view text, int32_t id);
  bool empty() const { return nodes_.size() == 1; }

  // The leftmost (then longest) token at or after `from`; length 0 when there is none.
  Match Find(std::string_view text, size_t from) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    int32_t id = -1;                                    // token ending here, or -1
  };
  int32_t Child(int32_t node, uint8_t byte) const;
  // The longest token starting at `pos`: {length, id}, length 0 if none.
  std::pair<size_t, int32_t> LongestAt(std::string_view text, size_t pos) const;

  std::vector<Node> nodes_ = std::vector<Node>(1);  // nodes_[0] is the root
  std::array<bool, 256> first_byte_{};              // bytes some token starts with
};

}  // namespace tokenfab::tokenizer
