// Generator: one sequence from prompt to end, on a ModelRunner: prefill the prompt in chunks,
// then decode token by token with a Sampler, streaming the text at UTF-8 boundaries. This is
// `tokenfab generate`'s loop, the simplest client of the runner (the serving engine batches many
// sequences through the scheduler instead).
//
// Ownership: borrows the runner, its KV storage and the clock. Not thread-safe; one Generate() at
// a time. Each Generate() starts from an empty cache (it overwrites blocks 0, 1, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenfab/engine/kv_cache_storage.h"
#include "tokenfab/engine/model_runner.h"
#include "tokenfab/engine/sampling_params.h"

namespace tokenfab::bench {

struct GenerationStats {
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  int64_t prefill_micros = 0;  // prompt processing, to the first sampled token
  int64_t decode_micros = 0;   // every later token
  std::string finish_reason;   // "stop" (end of generation or stop string) or "length"
};

class Generator {
 public:
  Generator(engine::ModelRunner& runner, const engine::KvCacheStorage& kv, const base::Clock& clock)
      : runner_(runner), kv_(kv), clock_(clock) {}

  // Generates after `prompt` (REQUIRES: non-empty) with `params` (validated here), calling
  // `on_text` with each piece of text as soon as it is complete. Stops at an end-of-generation
  // token, a stop token or string, max_tokens, or the cache's capacity. `prefill_chunk` bounds
  // the tokens of one forward pass.
  [[nodiscard]] StatusOr<GenerationStats> Generate(
      std::span<const int32_t> prompt, const engine::SamplingParams& params, uint64_t seed,
      int64_t prefill_chunk, const std::function<void(std::string_view)>& on_text);

 private:
  engine::ModelRunner& runner_;
  const engine::KvCacheStorage& kv_;
  const base::Clock& clock_;
};

}  // namespace tokenfab::bench
