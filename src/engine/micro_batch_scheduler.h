// MicroBatchScheduler: the second scheduling stage (TensorRT-LLM's name). Given the requests the
// capacity stage admitted, in priority order, it chooses how many tokens each computes this step
// within the token budget: one token for every decoding stream first, then prefill chunks (at
// most max_prefill_chunk_tokens of one prompt per step) in order while budget remains. A long
// prompt is thus spread over several steps and never stalls the running streams.
//
// Pure and stateless; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace tokenfab::engine {

struct MicroBatchCandidate {
  int32_t remaining_tokens = 0;  // tokens whose K/V are still to compute, >= 1
  bool decoding = false;         // in the decoding state (then remaining_tokens == 1)
};

struct MicroBatchEntry {
  int32_t index = 0;       // into the candidates
  int32_t num_tokens = 0;  // >= 1
};

class MicroBatchScheduler {
 public:
  // REQUIRES: 1 <= max_prefill_chunk_tokens <= max_batch_tokens.
  MicroBatchScheduler(int32_t max_batch_tokens, int32_t max_prefill_chunk_tokens);

  // Entries in batch order (decodes, then prefill chunks); candidates left out wait a step.
  std::vector<MicroBatchEntry> Plan(std::span<const MicroBatchCandidate> candidates) const;

 private:
  const int32_t max_batch_tokens_;
  const int32_t max_prefill_chunk_tokens_;
};

}  // namespace tokenfab::engine
