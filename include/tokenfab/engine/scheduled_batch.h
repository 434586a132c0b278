// ScheduledBatch: what the scheduler asks the model runner to compute in one step, and
// SequenceResult: what the engine reports back once the runner has computed it and the sampler
// has chosen tokens. The contract between the pure decision logic and the compute (a real runner
// or the simulator's performance model).
//
// For each scheduled sequence the runner:
//   1. writes K/V of positions [position, position + tokens.size()) into the slots
//      block_table[p / block_size] * block_size + p % block_size;
//   2. attends over positions [0, position + tokens.size()) of the same sequence, reading K/V of
//      the earlier positions from the same block table (they may be shared prefix blocks: read
//      only, never written, since a shared block is always full and wholly before `position`);
//   3. when `logits` is set, produces the logits of the last position, for the sampler.
// Plain values; the spans point into the scheduler's state and stay valid until the next
// non-const call on the Scheduler (normally Update()).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "tokenfab/engine/prefix_cache.h"
#include "tokenfab/engine/scheduled_request.h"

namespace tokenfab::engine {

struct ScheduledSequence {
  RequestId id = 0;
  int32_t position = 0;                  // first position computed this step (its KV cached before)
  std::span<const Token> tokens;         // [n] token ids at positions position .. position + n - 1
  std::span<const BlockId> block_table;  // covers at least position + n slots
  bool logits = false;   // the last token's logits are needed: a new token is sampled
  bool prefill = false;  // a prompt (or recomputation) chunk rather than a decode token
};

struct ScheduledBatch {
  uint64_t step = 0;  // 1, 2, ...; Update() checks it
  // Decode tokens first, then prefill chunks, each group in scheduling order (priority, then
  // arrival).
  std::vector<ScheduledSequence> sequences;
  int32_t num_tokens = 0;  // sum of tokens.size(): at most max_batch_tokens
  int32_t num_decode_tokens = 0;
  int32_t num_prefill_tokens = 0;
  // Admitted this step from the queue (new or resumed), and preempted this step (their blocks
  // freed; they will recompute). The engine keeps their streams and samplers.
  std::vector<RequestId> admitted;
  std::vector<RequestId> preempted;

  bool empty() const { return sequences.empty(); }
};

// The engine's report on one scheduled sequence, in the order of ScheduledBatch::sequences.
struct SequenceResult {
  // The sampled token, for a sequence scheduled with `logits`; kNoToken otherwise.
  Token token = kNoToken;
  // kNone normally; kStop when the engine found a stop string in the token's text (the token
  // is kept, the text is cut at the stop string); kError when the step failed for this sequence
  // (for instance non-finite logits): the request fails and `token` is ignored.
  FinishReason finish = FinishReason::kNone;
};

// What one step did to one request, for the engine to stream.
struct RequestUpdate {
  RequestId id = 0;
  Token token = kNoToken;    // the token appended this step, or kNoToken
  bool first_token = false;  // `token` is the request's first generated token
  // `token` is one of the request's stop token ids: counted as generated, text not emitted.
  bool stop_token = false;
  RequestState state = RequestState::kQueued;  // after the step
  FinishReason finish_reason = FinishReason::kNone;
};

}  // namespace tokenfab::engine
