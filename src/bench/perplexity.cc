#include "tokenfab/bench/perplexity.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include <fmt/format.h>

namespace tokenfab::bench {

using engine::ForwardBatch;
using engine::KvCacheShape;
using engine::ModelRunner;
namespace {

// -log softmax(logits)[target], in double.
double NegativeLogLikelihood(const float* logits, int64_t n_vocab, int32_t target) {
  const float max = *std::max_element(logits, logits + n_vocab);
  double sum = 0;
  for (int64_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(logits[i]) - max);
  return std::log(sum) - (static_cast<double>(logits[target]) - max);
}

Status CheckInput(const KvCacheShape& kv_shape, size_t n_tokens, const PerplexityOptions& options) {
  const int64_t n_ctx = options.context;
  if (n_ctx < 4) return absl::InvalidArgumentError("context must be at least 4 tokens");
  if (options.batch < 1 || options.batch > n_ctx) {
    return absl::InvalidArgumentError("batch must be between 1 and the context");
  }
  if (n_ctx > kv_shape.block_tokens * kv_shape.n_blocks) {
    return absl::InvalidArgumentError("the KV cache is smaller than the context");
  }
  if (static_cast<int64_t>(n_tokens) < 2 * n_ctx) {
    return absl::InvalidArgumentError(
        fmt::format("the text has {} tokens; perplexity with a context of {} needs at least {}",
                    n_tokens, n_ctx, 2 * n_ctx));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<PerplexityResult> ComputePerplexity(ModelRunner& runner, const KvCacheShape& kv_shape,
                                             std::span<const int32_t> tokens,
                                             const PerplexityOptions& options) {
  TF_RETURN_IF_ERROR(CheckInput(kv_shape, tokens.size(), options));
  const int64_t n_ctx = options.context;
  const model::ModelConfig& config = runner.model().config();
  const tokenizer::Tokenizer& tokenizer = runner.model().tokenizer();
  const bool add_bos = tokenizer.vocab().add_bos && tokenizer.bos_id() >= 0;
  int64_t n_chunks = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (options.max_chunks >= 0) n_chunks = std::min(n_chunks, options.max_chunks);

  std::vector<int32_t> block_table((n_ctx + kv_shape.block_tokens - 1) / kv_shape.block_tokens);
  std::iota(block_table.begin(), block_table.end(), 0);
  const int64_t first = n_ctx / 2;
  ForwardBatch batch;
  std::vector<float> logits;
  double nll = 0, nll2 = 0;
  int64_t count = 0;
  for (int64_t chunk = 0; chunk < n_chunks; ++chunk) {
    const int64_t start = chunk * n_ctx;
    // Every chunk starts from an empty cache: positions restart at 0 and overwrite the blocks.
    for (int64_t b = 0; b < n_ctx; b += options.batch) {
      batch.Clear();
      const int64_t end = std::min(n_ctx, b + options.batch);
      for (int64_t j = b; j < end; ++j) {
        const int32_t token = (j == 0 && add_bos) ? tokenizer.bos_id() : tokens[start + j];
        batch.Add(token, static_cast<int32_t>(j), block_table.data(), j >= first && j < n_ctx - 1);
      }
      TF_RETURN_IF_ERROR(runner.Forward(batch, logits));
      for (size_t r = 0; r < batch.logit_rows().size(); ++r) {
        const int64_t j = b + batch.logit_rows()[r];
        const double v = NegativeLogLikelihood(logits.data() + r * config.n_vocab, config.n_vocab,
                                               tokens[start + j + 1]);
        nll += v;
        nll2 += v * v;
        ++count;
      }
    }
    if (options.progress) options.progress(chunk + 1, n_chunks, std::exp(nll / count));
  }
  PerplexityResult result;
  result.chunks = n_chunks;
  result.scored_tokens = count;
  const double mean = nll / count;
  result.perplexity = std::exp(mean);
  const double variance = nll2 / count - mean * mean;
  if (variance > 0 && count > 1) {
    result.perplexity_error = std::sqrt(variance / (count - 1)) * result.perplexity;
  }
  return result;
}

}  // namespace tokenfab::bench
