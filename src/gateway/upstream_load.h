// What an upstream says about its own load when the gateway polls it, read from each kind's own
// endpoint:
//   - tokenfab nodes and gateways: GET /load, an api::LoadReport (include/tokenfab/api/
//     load_report.h: running, waiting, KV use, queue delay, measured rates, TPOT and the cached
//     prefix-block hashes), read by ParseTokenfabLoad;
//   - vLLM, SGLang and llama.cpp: GET /metrics in the Prometheus text format, with each server's
//     own metric names (see MetricsLoadReader);
//   - any other OpenAI-compatible server: GET /v1/models, which only says it is alive.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenfab/fleet/fleet_config.h"
#include "tokenfab/fleet/upstream_state.h"

namespace tokenfab::gateway {

class PrometheusView;

// One poll's figures. Unknown values stay at their defaults (0, or -1 where 0 is meaningful).
// Plain data.
struct UpstreamLoad {
  std::string model;                // the served model, when the upstream says
  int32_t running = 0;              // requests prefilling or decoding
  int32_t waiting = 0;              // requests queued
  double kv_usage = 0;              // share of KV-cache in use, [0, 1]
  int32_t max_running = 0;          // configured limit on running requests; 0 unknown
  double queue_delay_ms = -1;       // estimated wait before a new request starts; < 0 unknown
  double prefill_tokens_per_s = 0;  // measured prefill speed (aggregate); 0 unknown
  double decode_tokens_per_s = 0;   // measured decode speed (aggregate); 0 unknown
  double tpot_ms = 0;               // recent mean time per output token; 0 unknown
  // The queue as tokens and the step-time model (api::LoadReport); < 0 / unknown when not said.
  int64_t prefill_tokens_queued = -1;
  int32_t decode_sequences = -1;
  int64_t kv_tokens = -1;
  fleet::StepModel step_model;
  double prefix_hit_rate = -1;      // cached prompt tokens / prompt tokens; < 0 unknown
  int32_t block_tokens = 0;         // tokens per block of `cached_block_hashes`
  std::vector<uint64_t> cached_block_hashes;  // most recently used first
};

// The path the gateway polls for an upstream of `kind`.
std::string_view LoadPath(fleet::UpstreamKind kind);

// Parses a tokenfab /load body (api::ParseLoadReport). DataLoss for a body that is not such an
// object.
[[nodiscard]] StatusOr<UpstreamLoad> ParseTokenfabLoad(std::string_view json);

// Reads vLLM, SGLang and llama.cpp /metrics, one instance per upstream: histogram means (TPOT) are
// taken over the interval since the previous poll, so they describe recent requests, not the
// server's whole life. Metric names (all label sets summed, e.g. one per served model):
//   vLLM:      vllm:num_requests_running, vllm:num_requests_waiting,
//              vllm:kv_cache_usage_perc (older: vllm:gpu_cache_usage_perc),
//              vllm:time_per_output_token_seconds (newer: vllm:inter_token_latency_seconds),
//              vllm:prefix_cache_hits_total / vllm:prefix_cache_queries_total
//              (older: vllm:gpu_prefix_cache_hit_rate)
//   SGLang:    sglang:num_running_reqs, sglang:num_queue_reqs, sglang:token_usage,
//              sglang:max_running_requests, sglang:cache_hit_rate,
//              sglang:time_per_output_token_seconds (newer: sglang:inter_token_latency_seconds)
//   llama.cpp: llamacpp:requests_processing, llamacpp:requests_deferred,
//              llamacpp:kv_cache_usage_ratio (older servers), llamacpp:prompt_tokens_seconds
//              (prefill speed), llamacpp:predicted_tokens_seconds (decode speed per request:
//              its inverse is the TPOT)
// vLLM and SGLang token counters measure load, not speed, so they set no rates: routing then uses
// the upstream's configured (nominal) throughput. Not thread-safe.
class MetricsLoadReader {
 public:
  explicit MetricsLoadReader(fleet::UpstreamKind kind) : kind_(kind) {}

  // Parses one /metrics body. InvalidArgument for malformed text; NotFound when none of the
  // kind's metrics is present (the URL is probably not that kind of server).
  [[nodiscard]] StatusOr<UpstreamLoad> Read(std::string_view text);

 private:
  struct HistogramTotals {
    double sum = 0;
    double count = 0;
  };
  // Mean of a histogram over the interval since the last Read (seconds), or nullopt.
  std::optional<double> IntervalMean(const PrometheusView& view, std::string_view base,
                                     HistogramTotals& previous);

  fleet::UpstreamKind kind_;
  HistogramTotals tpot_;
  double prefix_hits_ = 0;
  double prefix_queries_ = 0;
};

}  // namespace tokenfab::gateway
