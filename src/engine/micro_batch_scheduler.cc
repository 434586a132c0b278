#include "engine/micro_batch_scheduler.h"

#include <algorithm>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {
namespace {

// Modelled time of computing `n` tokens of a prompt from `position`: token j attends over
// positions [0, position + j].
double ChunkMicros(const PerformanceModel& m, int64_t position, int64_t n) {
  return m.per_prefill_token_us * static_cast<double>(n) +
         m.per_kv_token_us * static_cast<double>(n * position + n * (n + 1) / 2);
}

// The largest chunk in [0, cap] from `position` whose time fits in `left_us` (the chunk's time
// grows with its size, so a binary search finds it).
int32_t LargestFittingChunk(const PerformanceModel& m, int32_t position, int32_t cap,
                            double left_us) {
  int32_t lo = 0;
  int32_t hi = cap;
  while (lo < hi) {
    const int32_t mid = lo + (hi - lo + 1) / 2;
    if (ChunkMicros(m, position, mid) <= left_us) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

}  // namespace

MicroBatchScheduler::MicroBatchScheduler(int32_t max_batch_tokens, int32_t max_prefill_chunk_tokens)
    : max_batch_tokens_(max_batch_tokens), max_prefill_chunk_tokens_(max_prefill_chunk_tokens) {
  TF_CHECK(max_prefill_chunk_tokens_ >= 1 && max_prefill_chunk_tokens_ <= max_batch_tokens_);
}

std::vector<MicroBatchEntry> MicroBatchScheduler::Plan(
    std::span<const MicroBatchCandidate> candidates, const StepTimeLimit* limit) const {
  std::vector<MicroBatchEntry> plan;
  plan.reserve(candidates.size());
  int32_t budget = max_batch_tokens_;
  double step_us = limit != nullptr ? limit->model.base_us : 0;
  for (size_t i = 0; i < candidates.size() && budget > 0; ++i) {
    const MicroBatchCandidate& c = candidates[i];
    if (!c.decoding) continue;
    TF_CHECK_EQ(c.remaining_tokens, 1) << "a decoding stream computes one token per step";
    plan.push_back({static_cast<int32_t>(i), 1});
    --budget;
    if (limit != nullptr) {
      step_us += limit->model.per_decode_sequence_us +
                 limit->model.per_kv_token_us * static_cast<double>(c.position + 1);
    }
  }
  const bool timed = limit != nullptr && !plan.empty();  // a step that decodes nothing is free
  int32_t prefilled = 0;
  for (size_t i = 0; i < candidates.size() && budget > 0; ++i) {
    const MicroBatchCandidate& c = candidates[i];
    if (c.decoding) continue;
    TF_CHECK(c.remaining_tokens >= 1);
    int32_t chunk = std::min({c.remaining_tokens, max_prefill_chunk_tokens_, budget});
    if (timed) {
      const int32_t fits =
          LargestFittingChunk(limit->model, c.position, chunk, limit->limit_us - step_us);
      const int32_t floor = std::max(0, limit->min_prefill_tokens - prefilled);
      chunk = std::max(fits, std::min(chunk, floor));
      if (chunk == 0) break;  // later prompts wait too: strict order
      step_us += ChunkMicros(limit->model, c.position, chunk);
    }
    plan.push_back({static_cast<int32_t>(i), chunk});
    budget -= chunk;
    prefilled += chunk;
  }
  return plan;
}

}  // namespace tokenfab::engine
