// EngineLoad: a snapshot of how busy an engine is, for the node's GET /load (what gateways route
// on) and for logs. The engine thread refreshes it after every step (the block hashes at most
// every EngineOptions::load_hashes_refresh_us); Engine::Load() hands out the latest one.
// An immutable value once published; thread-safe to read from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "tokenfab/engine/block_hash.h"

namespace tokenfab::engine {

struct EngineLoad {
  int64_t updated_us = 0;  // engine clock when taken
  uint64_t steps = 0;      // steps run so far

  int32_t running = 0;  // requests prefilling or decoding (holding KV blocks)
  int32_t waiting = 0;  // queued (submitted, not yet admitted) and preempted
  int32_t max_running = 0;
  int32_t max_waiting = 0;

  int32_t kv_blocks_total = 0;
  int32_t kv_blocks_free = 0;  // free plus evictable (cached but unreferenced): what can be taken
  int32_t block_tokens = 0;    // tokens per KV block (= the prefix-cache hash block)
  double kv_usage = 0;         // blocks referenced by running requests / total, [0, 1]

  // Estimated wait before a request submitted now starts computing, ms.
  double queue_delay_ms = 0;
  // The queue as tokens (QueueDelayInputs): tokens to prefill ahead of a new request, sequences
  // decoding, K/V positions held by the running requests.
  int64_t prefill_tokens_queued = 0;
  int32_t decode_sequences = 0;
  int64_t kv_tokens = 0;
  // Recent measured rates (exponentially weighted over the last seconds of busy steps); 0 until
  // measured. Aggregate over all sequences.
  double prefill_tokens_per_s = 0;
  double decode_tokens_per_s = 0;
  double tpot_ms = 0;  // recent mean time per output token of a running stream

  // Prefix cache.
  bool prefix_caching = false;
  double prefix_hit_rate = 0;        // cached prompt tokens / looked-up prompt tokens, since start
  int32_t prefix_cached_blocks = 0;  // blocks whose contents the cache holds
  // Chained hashes of cached blocks (HashFullBlocks with the tenant's salt), most recently used
  // first, at most EngineOptions::max_reported_block_hashes.
  std::vector<BlockHash> block_hashes;
};

}  // namespace tokenfab::engine
