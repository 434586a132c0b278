// The live state of one upstream, as the gateway last measured it (polling /load, timing its own
// requests) or the simulator computed it. Plain data, copied into each FleetSnapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"

namespace tokenfab::fleet {

// The gateway's circuit breaker for an upstream: closed passes traffic, open refuses it,
// half-open lets a few probe requests through.
enum class CircuitState { kClosed, kHalfOpen, kOpen };

std::string_view CircuitStateName(CircuitState state);

// The prefix blocks an upstream reports as cached: a set of chained block hashes (the engine's
// block hash, where a block's hash covers the block and everything before it). Immutable after
// construction; thread-safe to read. Shared between snapshots by shared_ptr while unchanged.
class BlockHashSet {
 public:
  BlockHashSet() = default;
  explicit BlockHashSet(std::vector<uint64_t> hashes);  // any order; duplicates dropped

  bool Contains(uint64_t hash) const;
  size_t size() const { return hashes_.size(); }
  bool empty() const { return hashes_.empty(); }

  // Number of leading blocks of `chain` (a prompt's chained block hashes, in order) that are in
  // the set: the prompt prefix the upstream can reuse. Stops at the first miss, because a block
  // is only reusable with every block before it.
  size_t LeadingMatch(std::span<const uint64_t> chain) const;

 private:
  absl::flat_hash_set<uint64_t> hashes_;
};

// A step-time model, µs (engine::PerformanceModel's terms):
//   step = base + prefill_token * tokens prefilled + decode_sequence * sequences decoded
//          + kv_token * K/V positions attended to.
// Published by tokenfab nodes in /load, or learned by the gateway from observed latencies.
// All zero: unknown. Plain data.
struct StepModel {
  double base_us = 0;
  double prefill_token_us = 0;
  double decode_sequence_us = 0;
  double kv_token_us = 0;

  bool known() const { return prefill_token_us > 0 || decode_sequence_us > 0 || base_us > 0; }
  double StepMicros(double prefill_tokens, double decode_sequences, double kv_tokens) const {
    return base_us + prefill_token_us * prefill_tokens + decode_sequence_us * decode_sequences +
           kv_token_us * kv_tokens;
  }
  bool operator==(const StepModel&) const = default;
};

// The live figures of one upstream. Negative / zero "unknown" values make routing fall back to
// the configured figures. Plain data.
struct UpstreamState {
  bool healthy = true;  // passes health checks
  CircuitState circuit = CircuitState::kClosed;
  int32_t running = 0;              // requests being served (prefill or decode)
  int32_t waiting = 0;              // requests queued at the upstream
  double kv_usage = 0;              // share of KV-cache blocks in use, [0, 1]
  double queue_delay_ms = -1;       // wait before a new request starts, ms; < 0 unknown
  double rtt_ms = -1;               // measured round trip, ms; < 0: use the configured path
  double prefill_tokens_per_s = 0;  // measured aggregate prefill rate; 0: use nominal
  double decode_tokens_per_s = 0;   // measured aggregate decode rate; 0: use nominal
  double tpot_ms = 0;               // measured recent time per output token, ms; 0 unknown
  // What the TPOT of requests finished lately showed beyond their predicted decode step (the
  // prefill chunks of later arrivals riding in their steps), the median of the last ones, ms;
  // < 0 unknown.
  double tpot_interference_ms = -1;
  // The queue as tokens (tokenfab nodes; < 0 unknown): tokens to prefill ahead of a new request,
  // sequences decoding, K/V positions the running requests hold.
  int64_t prefill_tokens_queued = -1;
  int32_t decode_sequences = -1;
  int64_t kv_tokens = -1;
  StepModel step_model;  // published or learned; unknown: predict from the rates
  std::shared_ptr<const BlockHashSet> cached_blocks;  // prefix blocks reported cached; null: none
  int64_t updated_wall_micros = 0;  // when these figures were measured, µs since epoch

  // Requests at the upstream (running + waiting).
  int32_t outstanding() const { return running + waiting; }
};

}  // namespace tokenfab::fleet
