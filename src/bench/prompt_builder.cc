#include "tokenfab/bench/prompt_builder.h"

#include <fmt/format.h>

#include "prompt_words.h"
#include "tokenfab/base/check.h"
#include "tokenfab/base/random.h"
#include "tokenfab/base/splitmix64.h"
#include "tokenfab/bench/trace.h"

namespace tokenfab::bench {
namespace {

using base::SplitMix64Combine;

constexpr uint64_t kSharedBlockTag = 0x5348415245440001ULL;  // blocks named by hash ids
constexpr uint64_t kOwnBlockTag = 0x4f574e424c4b0002ULL;     // a request's own blocks

}  // namespace

StatusOr<PromptForm> ParsePromptForm(std::string_view name) {
  if (name == "text") return PromptForm::kText;
  if (name == "token-ids") return PromptForm::kTokenIds;
  return absl::InvalidArgumentError(
      fmt::format("unknown prompt form '{}' (expected text or token-ids)", name));
}

PromptBuilder::PromptBuilder(PromptOptions options) : options_(options) {
  TF_CHECK(options_.token_id_min >= 0 && options_.token_id_min < options_.token_id_max);
}

uint64_t PromptBuilder::BlockSeed(const std::vector<uint64_t>& hash_ids, size_t index,
                                  uint64_t request_key) const {
  if (index < hash_ids.size()) {
    return SplitMix64Combine(SplitMix64Combine(options_.seed, kSharedBlockTag), hash_ids[index]);
  }
  return SplitMix64Combine(
      SplitMix64Combine(SplitMix64Combine(options_.seed, kOwnBlockTag), request_key), index);
}

std::string PromptBuilder::Text(int tokens, const std::vector<uint64_t>& hash_ids,
                                uint64_t request_key) const {
  const auto& words = PromptWords();
  std::string text;
  text.reserve(static_cast<size_t>(tokens) * 6);
  for (size_t block = 0; tokens > 0; ++block) {
    base::Random random(BlockSeed(hash_ids, block, request_key));
    const int count = std::min(tokens, kMooncakeBlockTokens);
    for (int i = 0; i < count; ++i) {
      if (!text.empty()) text.push_back(' ');
      text.append(words[random.Below(words.size())]);
    }
    tokens -= count;
  }
  return text;
}

std::vector<int32_t> PromptBuilder::TokenIds(int tokens, const std::vector<uint64_t>& hash_ids,
                                             uint64_t request_key) const {
  std::vector<int32_t> ids;
  ids.reserve(static_cast<size_t>(std::max(tokens, 0)));
  const uint64_t range =
      static_cast<uint64_t>(options_.token_id_max) - static_cast<uint64_t>(options_.token_id_min);
  for (size_t block = 0; tokens > 0; ++block) {
    base::Random random(BlockSeed(hash_ids, block, request_key));
    const int count = std::min(tokens, kMooncakeBlockTokens);
    for (int i = 0; i < count; ++i) {
      ids.push_back(options_.token_id_min + static_cast<int32_t>(random.Below(range)));
    }
    tokens -= count;
  }
  return ids;
}

}  // namespace tokenfab::bench
