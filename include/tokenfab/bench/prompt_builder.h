// PromptBuilder: makes prompts of a given length in tokens for a server whose tokenizer the
// benchmark does not know. Two forms:
//   - text: words that are single tokens in the common vocabularies (GPT-2, Llama 2/3, Qwen 3),
//     joined by spaces: N words tokenize to exactly N tokens there (plus what the server adds,
//     e.g. BOS or a chat template); for /v1/completions and /v1/chat/completions;
//   - token ids: `prompt` as an array of ids drawn from [token_id_min, token_id_max), exact for
//     any tokenizer; for /v1/completions on servers that accept it (vLLM, llama.cpp, tokenfab).
// A prompt is a run of 512-token blocks. A block named by a Mooncake hash id is a pure function
// of (seed, id), so equal ids give equal token blocks and the trace's prefix reuse is real; a
// request without hash ids gets blocks of its own, a function of (seed, request key, index).
// Immutable after construction; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::bench {

enum class PromptForm { kText, kTokenIds };

[[nodiscard]] StatusOr<PromptForm> ParsePromptForm(std::string_view name);

struct PromptOptions {
  PromptForm form = PromptForm::kText;
  int32_t token_id_min = 1000;   // inclusive; valid in every common vocabulary
  int32_t token_id_max = 30000;  // exclusive
  uint64_t seed = 0;
};

class PromptBuilder {
 public:
  explicit PromptBuilder(PromptOptions options);

  const PromptOptions& options() const { return options_; }

  // The prompt of `tokens` tokens: blocks named by `hash_ids` first (each 512 tokens, the last
  // one cut short), then blocks of this request's own (`request_key`) when the ids run out.
  std::string Text(int tokens, const std::vector<uint64_t>& hash_ids, uint64_t request_key) const;
  std::vector<int32_t> TokenIds(int tokens, const std::vector<uint64_t>& hash_ids,
                                uint64_t request_key) const;

 private:
  // The random-stream seed of block `index` of a prompt.
  uint64_t BlockSeed(const std::vector<uint64_t>& hash_ids, size_t index,
                     uint64_t request_key) const;

  PromptOptions options_;
};

}  // namespace tokenfab::bench
