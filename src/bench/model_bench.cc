#include "tokenfab/bench/model_bench.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "tokenfab/base/random.h"
#include "tokenfab/engine/forward_batch.h"

namespace tokenfab::bench {
namespace {

Throughput Summarize(std::vector<double> samples) {
  Throughput t;
  t.samples = std::move(samples);
  if (t.samples.empty()) return t;
  t.mean = std::accumulate(t.samples.begin(), t.samples.end(), 0.0) / t.samples.size();
  if (t.samples.size() > 1) {
    double sum = 0;
    for (double s : t.samples) sum += (s - t.mean) * (s - t.mean);
    t.stddev = std::sqrt(sum / (t.samples.size() - 1));
  }
  return t;
}

class Runs {
 public:
  Runs(engine::ModelRunner& runner, int64_t blocks, const base::Clock& clock, uint64_t seed)
      : runner_(runner), block_table_(blocks), clock_(clock), random_(seed) {
    std::iota(block_table_.begin(), block_table_.end(), 0);
    const tokenizer::Tokenizer& tokenizer = runner.model().tokenizer();
    first_token_ = tokenizer.vocab().add_bos && tokenizer.bos_id() >= 0
                       ? tokenizer.bos_id()
                       : static_cast<int32_t>(random_.Below(tokenizer.vocab_size()));
  }

  // Seconds for one pass over `n` prompt tokens.
  StatusOr<double> Prefill(int64_t n) {
    batch_.Clear();
    for (int64_t i = 0; i < n; ++i) {
      batch_.Add(i == 0 ? first_token_ : RandomToken(), static_cast<int32_t>(i),
                 block_table_.data(), i == n - 1);
    }
    const int64_t start = clock_.NowMicros();
    TF_RETURN_IF_ERROR(runner_.Forward(batch_, logits_));
    return (clock_.NowMicros() - start) / 1e6;
  }

  // Seconds for `n` single-token passes.
  StatusOr<double> Decode(int64_t n) {
    const int64_t start = clock_.NowMicros();
    int32_t token = first_token_;
    for (int64_t i = 0; i < n; ++i) {
      batch_.Clear();
      batch_.Add(token, static_cast<int32_t>(i), block_table_.data(), true);
      TF_RETURN_IF_ERROR(runner_.Forward(batch_, logits_));
      token = RandomToken();
    }
    return (clock_.NowMicros() - start) / 1e6;
  }

 private:
  int32_t RandomToken() {
    return static_cast<int32_t>(random_.Below(runner_.model().tokenizer().vocab_size()));
  }

  engine::ModelRunner& runner_;
  std::vector<int32_t> block_table_;
  const base::Clock& clock_;
  base::Random random_;
  int32_t first_token_;
  engine::ForwardBatch batch_;
  std::vector<float> logits_;
};

}  // namespace

StatusOr<ModelBenchResult> RunModelBench(engine::ModelRunner& runner,
                                         const engine::KvCacheShape& kv_shape,
                                         const ModelBenchOptions& options,
                                         const base::Clock& clock) {
  if (options.repetitions < 1) return absl::InvalidArgumentError("repetitions must be >= 1");
  if (options.prompt_tokens < 0 || options.gen_tokens < 0) {
    return absl::InvalidArgumentError("token counts must not be negative");
  }
  const int64_t needed = std::max(options.prompt_tokens, options.gen_tokens);
  if (needed > kv_shape.n_blocks * kv_shape.block_tokens) {
    return absl::InvalidArgumentError(
        fmt::format("the KV cache holds {} tokens; the benchmark needs {}",
                    kv_shape.n_blocks * kv_shape.block_tokens, needed));
  }
  Runs runs(runner, kv_shape.n_blocks, clock, options.seed);
  ModelBenchResult result;
  std::vector<double> prefill, decode;
  if (options.prompt_tokens > 0) {
    TF_RETURN_IF_ERROR(runs.Prefill(options.prompt_tokens).status());  // warm-up
    for (int r = 0; r < options.repetitions; ++r) {
      TF_ASSIGN_OR_RETURN(double seconds, runs.Prefill(options.prompt_tokens));
      prefill.push_back(options.prompt_tokens / seconds);
    }
  }
  if (options.gen_tokens > 0) {
    TF_RETURN_IF_ERROR(runs.Decode(std::min<int64_t>(options.gen_tokens, 16)).status());
    for (int r = 0; r < options.repetitions; ++r) {
      TF_ASSIGN_OR_RETURN(double seconds, runs.Decode(options.gen_tokens));
      decode.push_back(options.gen_tokens / seconds);
    }
  }
  result.prefill = Summarize(std::move(prefill));
  result.decode = Summarize(std::move(decode));
  result.decode_weight_bytes = runner.model().weights().DecodeWeightBytes();
  result.decode_bytes_per_s = result.decode.mean * result.decode_weight_bytes;
  return result;
}

}  // namespace tokenfab::bench
