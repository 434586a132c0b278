#include "tokenfab/bench/generator.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include <fmt/format.h>

#include "tokenfab/engine/forward_batch.h"
#include "tokenfab/engine/sampler.h"
#include "tokenfab/engine/stop_matcher.h"
#include "tokenfab/tokenizer/streaming_detokenizer.h"

namespace tokenfab::bench {

using engine::ForwardBatch;
using engine::KvCacheShape;
using engine::Sampler;
using engine::SampleResult;
using engine::SamplingParams;
using engine::StopMatcher;
using engine::Token;

namespace {

// Computes the prompt's K/V in chunks of `prefill_chunk` tokens; only the last token wants
// logits, left in `logits`.
Status Prefill(engine::ModelRunner& runner, std::span<const Token> prompt, int64_t prefill_chunk,
               const std::vector<int32_t>& block_table, ForwardBatch& batch,
               std::vector<float>& logits) {
  const int64_t n_prompt = static_cast<int64_t>(prompt.size());
  for (int64_t begin = 0; begin < n_prompt; begin += prefill_chunk) {
    const int64_t end = std::min<int64_t>(n_prompt, begin + prefill_chunk);
    batch.Clear();
    for (int64_t p = begin; p < end; ++p) {
      batch.Add(prompt[p], static_cast<int32_t>(p), block_table.data(), p == n_prompt - 1);
    }
    TF_RETURN_IF_ERROR(runner.Forward(batch, logits));
  }
  return absl::OkStatus();
}

// Emits the text still held back by the detokenizer and the stop matcher, unless a stop string
// ended the generation.
void FlushText(tokenizer::StreamingDetokenizer& detokenizer, StopMatcher& stops,
               const std::function<void(std::string_view)>& on_text) {
  if (stops.stopped()) return;
  StopMatcher::Output tail = stops.Push(detokenizer.Flush());
  std::string rest = tail.text + (tail.stopped ? "" : stops.Flush());
  if (!rest.empty()) on_text(rest);
}

}  // namespace

StatusOr<GenerationStats> Generator::Generate(
    std::span<const int32_t> prompt, const SamplingParams& params, uint64_t seed,
    int64_t prefill_chunk, const std::function<void(std::string_view)>& on_text) {
  TF_RETURN_IF_ERROR(params.Validate());
  if (prompt.empty()) return absl::InvalidArgumentError("the prompt has no tokens");
  if (prefill_chunk < 1) return absl::InvalidArgumentError("prefill chunk must be positive");
  const KvCacheShape& shape = kv_.shape();
  const int64_t capacity =
      std::min<int64_t>(shape.n_blocks * shape.block_tokens, runner_.model().config().n_ctx_train);
  if (static_cast<int64_t>(prompt.size()) >= capacity) {
    return absl::InvalidArgumentError(
        fmt::format("the prompt has {} tokens; the context holds {}", prompt.size(), capacity));
  }
  std::vector<int32_t> block_table(shape.n_blocks);
  std::iota(block_table.begin(), block_table.end(), 0);
  const tokenizer::Tokenizer& tokenizer = runner_.model().tokenizer();
  const int64_t n_vocab = runner_.model().config().n_vocab;

  std::vector<Token> tokens(prompt.begin(), prompt.end());
  const int32_t n_prompt = static_cast<int32_t>(prompt.size());
  Sampler sampler(params, seed);
  tokenizer::StreamingDetokenizer detokenizer(tokenizer);
  StopMatcher stops(params.stop_strings);
  ForwardBatch batch;
  std::vector<float> logits;
  GenerationStats stats;
  stats.prompt_tokens = n_prompt;
  stats.finish_reason = "length";

  const int64_t start = clock_.NowMicros();
  TF_RETURN_IF_ERROR(Prefill(runner_, tokens, prefill_chunk, block_table, batch, logits));
  int64_t first_token_time = 0;
  while (stats.generated_tokens < params.max_tokens) {
    TF_ASSIGN_OR_RETURN(SampleResult sample,
                        sampler.Sample(std::span<float>(logits.data(), n_vocab), tokens, n_prompt));
    if (stats.generated_tokens == 0) first_token_time = clock_.NowMicros();
    ++stats.generated_tokens;
    if (tokenizer.IsEndOfGeneration(sample.token) || params.IsStopToken(sample.token)) {
      stats.finish_reason = "stop";
      break;
    }
    tokens.push_back(sample.token);
    StopMatcher::Output out = stops.Push(detokenizer.Push(sample.token));
    if (!out.text.empty()) on_text(out.text);
    if (out.stopped) {
      stats.finish_reason = "stop";
      break;
    }
    if (static_cast<int64_t>(tokens.size()) >= capacity) break;
    if (stats.generated_tokens == params.max_tokens) break;
    batch.Clear();
    batch.Add(sample.token, static_cast<int32_t>(tokens.size() - 1), block_table.data(), true);
    TF_RETURN_IF_ERROR(runner_.Forward(batch, logits));
  }
  FlushText(detokenizer, stops, on_text);
  const int64_t end = clock_.NowMicros();
  stats.prefill_micros = (first_token_time ? first_token_time : end) - start;
  stats.decode_micros = end - (first_token_time ? first_token_time : end);
  return stats;
}

}  // namespace tokenfab::bench
