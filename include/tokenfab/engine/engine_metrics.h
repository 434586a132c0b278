// EngineMetrics: the engine's Prometheus metrics, registered in a base::MetricsRegistry under
// vLLM's names (vllm:* -> tokenfab:*) where they mean the same thing, so dashboards carry over:
//
//   tokenfab:time_to_first_token_seconds      histogram  arrival -> first generated token
//   tokenfab:time_per_output_token_seconds    histogram  gap between consecutive tokens of a
//                                                        request (vLLM's inter-token latency)
//   tokenfab:request_queue_time_seconds       histogram  arrival -> first admission
//   tokenfab:e2e_request_latency_seconds      histogram  arrival -> end
//   tokenfab:num_requests_running             gauge      requests holding KV blocks
//   tokenfab:num_requests_waiting             gauge      queued and preempted requests
//   tokenfab:kv_cache_usage_perc              gauge      used KV blocks / all, in [0, 1]
//   tokenfab:prefix_cache_queries_total       counter    tokens looked up in the prefix cache
//   tokenfab:prefix_cache_hits_total          counter    of those, tokens found cached
//   tokenfab:num_preemptions_total            counter    preemptions
//   tokenfab:prompt_tokens_total              counter    prompt tokens of requests prefilled
//   tokenfab:generation_tokens_total          counter    generated tokens
//   tokenfab:request_success_total{finished_reason="stop"|"length"|"abort"|"error"}  counter
//
// Ownership: the registry owns the metrics and must outlive this object, which keeps references.
// Thread-safety: as the registry's metrics (updates are atomic, from any thread).
#pragma once

#include "tokenfab/base/metrics.h"
#include "tokenfab/engine/request_state.h"

namespace tokenfab::engine {

class EngineMetrics {
 public:
  // `labels` go on every series (for instance {{"model", "llama3-8b"}}).
  explicit EngineMetrics(base::MetricsRegistry& registry, const base::MetricLabels& labels = {});
  EngineMetrics(const EngineMetrics&) = delete;
  EngineMetrics& operator=(const EngineMetrics&) = delete;

  // Durations in microseconds of the engine clock; reported in seconds.
  void ObserveQueueTime(int64_t micros);
  void ObserveTimeToFirstToken(int64_t micros);
  void ObserveTimePerOutputToken(int64_t micros);
  void ObserveEndToEnd(int64_t micros);

  void SetRunning(int32_t n) { running_.Set(n); }
  void SetWaiting(int32_t n) { waiting_.Set(n); }
  void SetKvCacheUsage(double fraction) { kv_usage_.Set(fraction); }

  void CountPrefixLookup(int32_t query_tokens, int32_t hit_tokens);
  void CountPreemptions(int32_t n);
  void CountPromptTokens(int32_t n);
  void CountGenerationTokens(int32_t n);
  // REQUIRES: reason != kNone.
  void CountFinished(FinishReason reason);

  const base::Histogram& time_to_first_token() const { return ttft_; }
  const base::Histogram& time_per_output_token() const { return tpot_; }
  const base::Histogram& queue_time() const { return queue_time_; }
  const base::Histogram& end_to_end() const { return e2e_; }
  const base::Gauge& running() const { return running_; }
  const base::Gauge& waiting() const { return waiting_; }
  const base::Gauge& kv_cache_usage() const { return kv_usage_; }
  const base::Counter& prefix_queries() const { return prefix_queries_; }
  const base::Counter& prefix_hits() const { return prefix_hits_; }
  const base::Counter& preemptions() const { return preemptions_; }
  const base::Counter& prompt_tokens() const { return prompt_tokens_; }
  const base::Counter& generation_tokens() const { return generation_tokens_; }
  const base::Counter& finished(FinishReason reason) const { return FinishedCounter(reason); }

 private:
  base::Counter& FinishedCounter(FinishReason reason) const;

  base::Histogram& ttft_;
  base::Histogram& tpot_;
  base::Histogram& queue_time_;
  base::Histogram& e2e_;
  base::Gauge& running_;
  base::Gauge& waiting_;
  base::Gauge& kv_usage_;
  base::Counter& prefix_queries_;
  base::Counter& prefix_hits_;
  base::Counter& preemptions_;
  base::Counter& prompt_tokens_;
  base::Counter& generation_tokens_;
  base::Counter& finished_stop_;
  base::Counter& finished_length_;
  base::Counter& finished_abort_;
  base::Counter& finished_error_;
};

}  // namespace tokenfab::engine
