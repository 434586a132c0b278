#include "tokenizer/special_token_matcher.h"

#include <algorithm>

namespace tokenfab::tokenizer {

int32_t SpecialTokenMatcher::Child(int32_t node, uint8_t byte) const {
  const auto& children = nodes_[node].children;
  auto it = std::lower_bound(children.begin(), children.end(), byte,
                             [](const auto& child, uint8_t b) { return child.first < b; });
  return it != children.end() && it->first == byte ? it->second : -1;
}

void SpecialTokenMatcher::Add(std::string_view text, int32_t id) {
  if (text.empty()) return;
  first_byte_[static_cast<uint8_t>(text[0])] = true;
  int32_t node = 0;
  for (char c : text) {
    const auto byte = static_cast<uint8_t>(c);
    int32_t child = Child(node, byte);
    if (child < 0) {
      child = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[node].children;
      children.insert(
          std::lower_bound(children.begin(), children.end(), std::make_pair(byte, int32_t{0})),
          {byte, child});
    }
    node = child;
  }
  if (nodes_[node].id < 0) nodes_[node].id = id;
}

std::pair<size_t, int32_t> SpecialTokenMatcher::LongestAt(std::string_view text, size_t pos) const {
  std::pair<size_t, int32_t> best{0, -1};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    node = Child(node, static_cast<uint8_t>(text[i]));
    if (node < 0) break;
    if (nodes_[node].id >= 0) best = {i + 1 - pos, nodes_[node].id};
  }
  return best;
}

SpecialTokenMatcher::Match SpecialTokenMatcher::Find(std::string_view text, size_t from) const {
  if (empty()) return {text.size(), 0, -1};
  for (size_t pos = from; pos < text.size(); ++pos) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) continue;
    if (auto [length, id] = LongestAt(text, pos); length > 0) return {pos, length, id};
  }
  return {text.size(), 0, -1};
}

}  // namespace tokenfab::tokenizer
