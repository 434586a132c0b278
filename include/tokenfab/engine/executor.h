// Executor: the compute behind the engine's scheduler: given one scheduled step, it produces the
// next token of every sequence that asked for one. Two implementations:
//   ModelExecutor      the model's forward pass on a ModelRunner, then each sequence's Sampler
//                      (model_executor.h);
//   SyntheticExecutor  a performance model of the step time and seeded tokens from the
//                      vocabulary, no weights (synthetic_executor.h): the same engine, scheduler
//                      and KV cache at a scale one machine cannot compute.
//
// Ownership: the engine owns its executor. Thread-safety: one Execute() at a time, from the
// engine thread.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/engine/sampler.h"
#include "tokenfab/engine/scheduled_batch.h"
#include "tokenfab/engine/scheduled_request.h"

namespace tokenfab::engine {

// What the executor knows of one scheduled sequence, in the order of ScheduledBatch::sequences.
struct ExecutorSequence {
  const ScheduledRequest* request = nullptr;  // tokens so far, prompt length, sampling parameters
  Sampler* sampler = nullptr;        // the request's own (its random state persists)
  uint64_t seed = 0;                 // the request's seed (the client's, or drawn by the engine)
};

struct ExecutorResult {
  // For a sequence scheduled with `logits`: the chosen token (and logprobs when asked).
  // Otherwise left as is (token kNoToken).
  SampleResult sample;
  // Not OK when this sequence could not get a token (non-finite logits): the request fails.
  Status status;
};

class Executor {
 public:
  virtual ~Executor() = default;

  // "model" or "synthetic".
  virtual std::string_view name() const = 0;
  // Token ids are in [0, vocab_size()).
  virtual int32_t vocab_size() const = 0;

  // Computes `batch` (writes the K/V of its tokens into the blocks of its block tables) and, for
  // each sequence with `logits`, fills results[i].sample. `sequences` and `results` have one
  // entry per batch.sequences entry. A non-OK return means the whole step failed (every request
  // in it fails with that status). REQUIRES: !batch.empty().
  [[nodiscard]] virtual Status Execute(const ScheduledBatch& batch,
                                       std::span<const ExecutorSequence> sequences,
                                       std::span<ExecutorResult> results) = 0;
};

}  // namespace tokenfab::engine
