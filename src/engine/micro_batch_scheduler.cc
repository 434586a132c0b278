#include "engine/micro_batch_scheduler.h"

#include <algorithm>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {

MicroBatchScheduler::MicroBatchScheduler(int32_t max_batch_tokens, int32_t max_prefill_chunk_tokens)
    : max_batch_tokens_(max_batch_tokens), max_prefill_chunk_tokens_(max_prefill_chunk_tokens) {
  TF_CHECK(max_prefill_chunk_tokens_ >= 1 && max_prefill_chunk_tokens_ <= max_batch_tokens_);
}

std::vector<MicroBatchEntry> MicroBatchScheduler::Plan(
    std::span<const MicroBatchCandidate> candidates) const {
  std::vector<MicroBatchEntry> plan;
  plan.reserve(candidates.size());
  int32_t budget = max_batch_tokens_;
  for (size_t i = 0; i < candidates.size() && budget > 0; ++i) {
    const MicroBatchCandidate& c = candidates[i];
    if (!c.decoding) continue;
    TF_CHECK_EQ(c.remaining_tokens, 1) << "a decoding stream computes one token per step";
    plan.push_back({static_cast<int32_t>(i), 1});
    --budget;
  }
  for (size_t i = 0; i < candidates.size() && budget > 0; ++i) {
    const MicroBatchCandidate& c = candidates[i];
    if (c.decoding) continue;
    TF_CHECK(c.remaining_tokens >= 1);
    const int32_t chunk = std::min({c.remaining_tokens, max_prefill_chunk_tokens_, budget});
    plan.push_back({static_cast<int32_t>(i), chunk});
    budget -= chunk;
  }
  return plan;
}

}  // namespace tokenfab::engine
