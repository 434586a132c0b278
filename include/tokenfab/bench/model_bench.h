// Model benchmark, measured the way llama.cpp's llama-bench does so the two can be put side by
// side: prefill = one forward pass over `prompt_tokens` random tokens (first one BOS) from an
// empty cache, logits for the last only; decode = `gen_tokens` single-token passes from an empty
// cache. Each repetition is timed on its own (after one untimed warm-up of each), and the result
// is tokens/s, mean and sample standard deviation over the repetitions.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"

namespace tokenfab::bench {

struct ModelBenchOptions {
  int64_t prompt_tokens = 512;  // 0: skip the prefill test
  int64_t gen_tokens = 128;     // 0: skip the decode test
  int repetitions = 5;
  uint64_t seed = 1;            // for the random prompt tokens
};

struct Throughput {
  std::vector<double> samples;  // tokens/s of each repetition
  double mean = 0;
  double stddev = 0;
};

struct ModelBenchResult {
  Throughput prefill;
  Throughput decode;
  int64_t decode_weight_bytes = 0;  // bytes of weights one decode step reads
  // decode mean x decode_weight_bytes: the weight read rate decode sustains, bytes/s.
  double decode_bytes_per_s = 0;
};

// REQUIRES: the KV cache holds max(prompt_tokens, gen_tokens) tokens in blocks 0, 1, ...
[[nodiscard]] StatusOr<ModelBenchResult> RunModelBench(engine::ModelRunner& runner,
                                                       const engine::KvCacheShape& kv_shape,
                                                       const ModelBenchOptions& options,
                                                       const base::Clock& clock);

}  // namespace tokenfab::bench
