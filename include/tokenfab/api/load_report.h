// LoadReport: the body of GET /load, the contract between a tokenfab node (or gateway) and the
// gateway that polls it. One struct, one writer, one reader, so a field added on one side cannot
// be missed on the other.
//
//   {"model": "demo", "running": 3, "waiting": 1, "kv_usage": 0.42,
//    "kv_blocks_total": 4096, "kv_blocks_free": 2370,        (a node)
//    "upstreams_healthy": 2,                                  (a gateway)
//    "block_tokens": 16, "max_running": 64, "queue_delay_ms": 12.5,
//    "prefill_tokens_per_s": 5300.0, "decode_tokens_per_s": 410.0, "tpot_ms": 24.1,
//    "queue_tokens": {"prefill": 3072, "decode_sequences": 2, "kv": 9100},  (a node)
//    "step_model": {"base_us": 3000, "prefill_token_us": 90, "decode_sequence_us": 400,
//                   "kv_token_us": 0.02},                     (a node that knows it)
//    "prefix_cache": {"block_tokens": 16, "hit_rate": 0.37, "cached_blocks": 2,
//                     "block_hashes": ["9f3c1a0000000001", "00000000000000ff"]}}
//
// Block hashes are 16-digit hex, most recently used first. block_tokens is written twice (at the
// top and in prefix_cache); the reader takes prefix_cache's when it is > 0.
//
// Plain data; the functions are pure and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"

namespace tokenfab::api {

// A node's step-time model (engine::PerformanceModel on the wire), µs:
//   step = base + prefill_token * tokens prefilled + decode_sequence * sequences decoded
//          + kv_token * K/V positions attended to.
struct LoadStepModel {
  double base_us = 0;
  double prefill_token_us = 0;
  double decode_sequence_us = 0;
  double kv_token_us = 0;

  bool operator==(const LoadStepModel&) const = default;
};

// The step model's JSON field names (in /load and in a registry's member record), one home for
// both writers and readers.
struct LoadStepModelField {
  std::string_view name;
  double LoadStepModel::*member;
};
inline constexpr std::array<LoadStepModelField, 4> kLoadStepModelFields = {{
    {"base_us", &LoadStepModel::base_us},
    {"prefill_token_us", &LoadStepModel::prefill_token_us},
    {"decode_sequence_us", &LoadStepModel::decode_sequence_us},
    {"kv_token_us", &LoadStepModel::kv_token_us},
}};

struct LoadReport {
  std::string model;    // the served model; empty from a gateway (it serves several)
  int64_t running = 0;  // requests prefilling or decoding
  int64_t waiting = 0;  // requests queued
  double kv_usage = 0;  // share of the KV cache in use, [0, 1]
  std::optional<int64_t> kv_blocks_total;  // a node's KV cache, in blocks; none from a gateway
  std::optional<int64_t> kv_blocks_free;   // free or evictable blocks; none from a gateway
  int64_t max_running = 0;                 // configured limit on running requests; 0 unknown
  double queue_delay_ms = -1;       // estimated wait before a new request starts; < 0 unknown
  double prefill_tokens_per_s = 0;  // measured prefill speed (aggregate); 0 unknown
  double decode_tokens_per_s = 0;   // measured decode speed (aggregate); 0 unknown
  double tpot_ms = 0;               // recent mean time per output token; 0 unknown
  std::optional<int64_t> upstreams_healthy;  // a gateway's healthy upstreams; none from a node

  // The prefix cache.
  int32_t block_tokens = 0;            // tokens per block of `block_hashes`; 0 unknown
  double prefix_hit_rate = -1;         // cached prompt tokens / prompt tokens; < 0 unknown
  int64_t prefix_cached_blocks = 0;    // blocks whose contents the cache holds
  std::vector<uint64_t> block_hashes;  // chained hashes of cached blocks, most recent first

  // The queue as tokens (a node; none from a gateway): tokens still to prefill ahead of a new
  // request (waiting requests' and running ones' uncomputed part), sequences decoding, and the
  // K/V positions the running requests hold.
  std::optional<int64_t> prefill_tokens_queued;
  std::optional<int64_t> decode_sequences;
  std::optional<int64_t> kv_tokens;
  // The node's calibrated step-time model; none when the node does not know it.
  std::optional<LoadStepModel> step_model;

  bool operator==(const LoadReport&) const = default;
};

// The JSON body. Optional fields that are unset are left out.
std::string LoadReportJson(const LoadReport& report);

// Reads a /load body. DataLoss when it is not a JSON object or a block hash is not a hex string.
// Lenient otherwise, as a poller must be with servers of other versions: a missing field, or one
// that is not a number, keeps the default above (optional ones stay unset); counts are rounded
// and clamped to [0, 1e9] (queue tokens to [0, 1e12]), kv_usage to [0, 1], rates, tpot_ms and
// step-model coefficients to >= 0 (a step_model that is not an object stays unset).
[[nodiscard]] StatusOr<LoadReport> ParseLoadReport(std::string_view json);

}  // namespace tokenfab::api
