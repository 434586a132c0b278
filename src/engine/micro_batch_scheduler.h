// MicroBatchScheduler: the second scheduling stage (TensorRT-LLM's name). Given the requests the
// capacity stage admitted, in priority order, it chooses how many tokens each computes this step
// within the token budget: one token for every decoding stream first, then prefill chunks (at
// most max_prefill_chunk_tokens of one prompt per step) in order while budget remains. A long
// prompt is thus spread over several steps.
//
// With a step-time limit (Sarathi-Serve's stall-free batching), prefill chunks also stop where
// the step-time model predicts the step would outlast the limit: the decodes are planned first,
// prefill takes the time they leave. The limit never cuts the step's prefill below
// min_prefill_tokens (so prompts always progress, even when the decodes alone exceed it), and a
// step that decodes nothing ignores it (the whole token budget goes to prefill).
//
// Pure and stateless; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tokenfab/engine/performance_model.h"

namespace tokenfab::engine {

struct MicroBatchCandidate {
  int32_t remaining_tokens = 0;  // tokens whose K/V are still to compute, >= 1
  bool decoding = false;         // in the decoding state (then remaining_tokens == 1)
  int32_t position = 0;          // tokens whose K/V are already computed (for attention's cost)
};

struct MicroBatchEntry {
  int32_t index = 0;       // into the candidates
  int32_t num_tokens = 0;  // >= 1
};

// A bound on a step's modelled duration (PerformanceModel::StepMicros of the planned batch).
struct StepTimeLimit {
  PerformanceModel model;
  double limit_us = 0;
  int32_t min_prefill_tokens = 0;  // prefill tokens per step the limit never takes away
};

class MicroBatchScheduler {
 public:
  // REQUIRES: 1 <= max_prefill_chunk_tokens <= max_batch_tokens.
  MicroBatchScheduler(int32_t max_batch_tokens, int32_t max_prefill_chunk_tokens);

  // Entries in batch order (decodes, then prefill chunks); candidates left out wait a step.
  // `limit`, when given, bounds the steps that decode (see the file comment).
  std::vector<MicroBatchEntry> Plan(std::span<const MicroBatchCandidate> candidates,
                                    const StepTimeLimit* limit = nullptr) const;

 private:
  const int32_t max_batch_tokens_;
  const int32_t max_prefill_chunk_tokens_;
};

}  // namespace tokenfab::engine
