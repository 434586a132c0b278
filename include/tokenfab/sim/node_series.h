// NodeSeries: one node's work over simulated time in fixed buckets, from which the report builds
// each site's time series (compute and KV utilisation, waiting requests, tokens/s). Per bucket:
// busy µs, KV usage x µs and waiting requests x µs over the node's steps, and the tokens its
// steps computed (prefill + decode). A step crossing a bucket boundary is split in proportion to
// the time it spends in each. Plain data with one accumulating method; not thread-safe.
#pragma once

#include <cstdint>
#include <vector>

namespace tokenfab::sim {

struct NodeSeries {
  int64_t bucket_us = 0;  // bucket b covers [b x bucket_us, (b + 1) x bucket_us); 0: none kept
  // By bucket; as long as the last bucket a step reached (shorter ones are zero past the end).
  std::vector<double> busy_us, kv_usage_us, waiting_us, tokens;

  // Adds a step over [start_us, end_us) with `kv_usage` (share of blocks) in use and `waiting`
  // requests queued behind it, computing `step_tokens` tokens. No-op when bucket_us == 0 or
  // end_us <= start_us. REQUIRES: start_us >= 0.
  void AddStep(int64_t start_us, int64_t end_us, double kv_usage, int32_t waiting,
               int64_t step_tokens);
};

}  // namespace tokenfab::sim
