// Perplexity of a model on a token sequence, computed the way llama.cpp's llama-perplexity does,
// so the two can be compared on any file: the tokens are cut into chunks of `context` tokens
// (the first token of each chunk replaced by BOS when the vocabulary adds one), each chunk is
// evaluated from an empty cache, and only its second half is scored (token j+1 predicted from
// the logits at j, for j in [context/2, context-2]), so every scored token has context.
// PPL = exp(mean negative log-likelihood); its error is the standard error of the mean, scaled.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"

namespace tokenfab::bench {

struct PerplexityResult {
  double perplexity = 0;
  double perplexity_error = 0;  // one standard error
  int64_t chunks = 0;
  int64_t scored_tokens = 0;
};

struct PerplexityOptions {
  int64_t context = 512;    // tokens per chunk
  int64_t batch = 512;      // tokens per forward pass (<= context)
  int64_t max_chunks = -1;  // -1: every whole chunk
  // Called after each chunk with (chunks done, chunks total, running perplexity).
  std::function<void(int64_t, int64_t, double)> progress;
};

// REQUIRES: the runner's KV cache holds at least `context` tokens in blocks 0, 1, ...
// Errors: fewer than 2 * context tokens (as llama-perplexity), a bad option.
[[nodiscard]] StatusOr<PerplexityResult> ComputePerplexity(engine::ModelRunner& runner,
                                                           const engine::KvCacheShape& kv_shape,
                                                           std::span<const int32_t> tokens,
                                                           const PerplexityOptions& options);

}  // namespace tokenfab::bench
