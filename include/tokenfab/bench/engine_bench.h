// The engine benchmark behind `tokenfab bench engine`: the real Engine with a ModelExecutor on a
// model file, driven in process (no HTTP), in two workloads:
//
//  throughput     `concurrency` requests of `prompt_tokens` random prompt tokens each (no shared
//                 prefix) submitted at once, greedy, exactly `gen_tokens` generated (EOS ignored),
//                 as llama-batched-bench runs `-npp P -ntg G -npl N`. Reports the aggregate decode
//                 rate while every request decodes (tokens generated between the last request's
//                 first token and the first request's last token, over that time: llama-batched-
//                 bench's S_TG), the end-to-end generated tokens/s, and per-request TTFT / TPOT.
//  shared prefix  `requests` requests, `concurrency` in flight (closed loop), each a common system
//                 prompt of `prefix_tokens` followed by `suffix_tokens` of its own, generating
//                 `gen_tokens`; once with the prefix cache and once without. Reports TTFT. One
//                 warm-up request (with the system prompt) runs first in both, as on a server that
//                 has been up for a while.
//
// Token times are taken on the engine thread as the events are delivered (the requests'
// notifiers drain their handles), so no client thread competes with the compute threads.
// Thread-safety: the functions are reentrant; each builds and stops its own engine.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/model_executor.h"
#include "tokenfab/model/model.h"

namespace tokenfab::bench {

struct EngineBenchOptions {
  engine::ModelExecutorOptions executor;
  int32_t block_size = 16;
  // Token budget per step; 0: max(2048, the workload's running requests). Prefill chunks are the
  // whole budget.
  int32_t max_batch_tokens = 0;
  uint64_t seed = 1;
};

struct ThroughputResult {
  int32_t concurrency = 0;
  int32_t prompt_tokens = 0;
  int32_t gen_tokens = 0;
  double decode_tokens_per_s = 0;     // while all requests decode (see the file comment)
  double generated_tokens_per_s = 0;  // all generated tokens / (last end - submission)
  double ttft_ms = 0;                 // mean over requests
  double ttft_p90_ms = 0;
  double tpot_ms = 0;  // mean over requests of their mean time per output token
  double wall_s = 0;   // submission to the last end
};

// REQUIRES: concurrency, prompt_tokens >= 1; gen_tokens >= 2; prompt + gen within the model's
// training context.
[[nodiscard]] StatusOr<ThroughputResult> RunThroughputBench(const model::Model& model,
                                                            const EngineBenchOptions& options,
                                                            int32_t concurrency,
                                                            int32_t prompt_tokens,
                                                            int32_t gen_tokens);

struct SharedPrefixOptions {
  int32_t prefix_tokens = 1024;
  int32_t suffix_tokens = 32;
  int32_t gen_tokens = 16;
  int32_t requests = 32;
  int32_t concurrency = 8;
};

struct SharedPrefixResult {
  bool prefix_caching = false;
  double ttft_ms = 0;  // mean over the measured requests
  double ttft_p50_ms = 0;
  double ttft_p90_ms = 0;
  double cached_prompt_fraction = 0;  // cached prompt tokens / prompt tokens
  double wall_s = 0;
};

[[nodiscard]] StatusOr<SharedPrefixResult> RunSharedPrefixBench(const model::Model& model,
                                                                const EngineBenchOptions& options,
                                                                const SharedPrefixOptions& workload,
                                                                bool prefix_caching);

}  // namespace tokenfab::bench
