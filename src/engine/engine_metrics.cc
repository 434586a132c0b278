#include "tokenfab/engine/engine_metrics.h"

#include <string>
#include <vector>

#include "tokenfab/base/check.h"

namespace tokenfab::engine {
namespace {

// vLLM's bucket bounds (seconds) for the same histograms.
const std::vector<double>& TtftBuckets() {
  static const std::vector<double> kBounds = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06,  0.08,
                                              0.1,   0.25,  0.5,  0.75, 1.0,  2.5,   5.0,
                                              7.5,   10.0,  20.0, 40.0, 80.0, 160.0, 640.0};
  return kBounds;
}

const std::vector<double>& TpotBuckets() {
  static const std::vector<double> kBounds = {0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2,
                                              0.3,  0.4,   0.5,  0.75,  1.0, 2.5,  5.0,
                                              7.5,  10.0,  20.0, 40.0,  80.0};
  return kBounds;
}

const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> kBounds = {0.001, 0.005, 0.01,  0.05,  0.1,   0.3,   0.5,   0.8,
                                              1.0,   1.5,   2.0,   2.5,   5.0,   10.0,  15.0,  20.0,
                                              30.0,  60.0,  120.0, 240.0, 480.0, 960.0, 1920.0};
  return kBounds;
}

double Seconds(int64_t micros) { return static_cast<double>(micros) * 1e-6; }

base::MetricLabels With(const base::MetricLabels& labels, const char* name, const char* value) {
  base::MetricLabels out = labels;
  out.emplace_back(name, value);
  return out;
}

constexpr const char* kFinishedHelp = "Finished requests, by finish reason.";

}  // namespace

EngineMetrics::EngineMetrics(base::MetricsRegistry& registry, const base::MetricLabels& labels)
    : ttft_(registry.GetHistogram("tokenfab:time_to_first_token_seconds",
                                  "Time from arrival to the first generated token, in seconds.",
                                  TtftBuckets(), labels)),
      tpot_(registry.GetHistogram("tokenfab:time_per_output_token_seconds",
                                  "Time between consecutive generated tokens, in seconds.",
                                  TpotBuckets(), labels)),
      queue_time_(registry.GetHistogram("tokenfab:request_queue_time_seconds",
                                        "Time from arrival to first admission, in seconds.",
                                        LatencyBuckets(), labels)),
      e2e_(registry.GetHistogram("tokenfab:e2e_request_latency_seconds",
                                 "Time from arrival to the end of the request, in seconds.",
                                 LatencyBuckets(), labels)),
      running_(registry.GetGauge("tokenfab:num_requests_running",
                                 "Requests holding KV blocks (prefilling or decoding).", labels)),
      waiting_(registry.GetGauge("tokenfab:num_requests_waiting",
                                 "Requests waiting for admission (queued or preempted).", labels)),
      kv_usage_(registry.GetGauge("tokenfab:kv_cache_usage_perc",
                                  "Fraction of KV cache blocks in use, 0 to 1.", labels)),
      prefix_queries_(registry.GetCounter("tokenfab:prefix_cache_queries_total",
                                          "Tokens looked up in the prefix cache.", labels)),
      prefix_hits_(registry.GetCounter("tokenfab:prefix_cache_hits_total",
                                       "Tokens found in the prefix cache.", labels)),
      preemptions_(registry.GetCounter("tokenfab:num_preemptions_total",
                                       "Requests preempted (to be recomputed).", labels)),
      prompt_tokens_(registry.GetCounter("tokenfab:prompt_tokens_total",
                                         "Prompt tokens of requests prefilled.", labels)),
      generation_tokens_(
          registry.GetCounter("tokenfab:generation_tokens_total", "Generated tokens.", labels)),
      finished_stop_(registry.GetCounter("tokenfab:request_success_total", kFinishedHelp,
                                         With(labels, "finished_reason", "stop"))),
      finished_length_(registry.GetCounter("tokenfab:request_success_total", kFinishedHelp,
                                           With(labels, "finished_reason", "length"))),
      finished_abort_(registry.GetCounter("tokenfab:request_success_total", kFinishedHelp,
                                          With(labels, "finished_reason", "abort"))),
      finished_error_(registry.GetCounter("tokenfab:request_success_total", kFinishedHelp,
                                          With(labels, "finished_reason", "error"))) {}

void EngineMetrics::ObserveQueueTime(int64_t micros) { queue_time_.Observe(Seconds(micros)); }
void EngineMetrics::ObserveTimeToFirstToken(int64_t micros) { ttft_.Observe(Seconds(micros)); }
void EngineMetrics::ObserveTimePerOutputToken(int64_t micros) { tpot_.Observe(Seconds(micros)); }
void EngineMetrics::ObserveEndToEnd(int64_t micros) { e2e_.Observe(Seconds(micros)); }

void EngineMetrics::CountPrefixLookup(int32_t query_tokens, int32_t hit_tokens) {
  prefix_queries_.Increment(query_tokens);
  prefix_hits_.Increment(hit_tokens);
}

void EngineMetrics::CountPreemptions(int32_t n) { preemptions_.Increment(n); }
void EngineMetrics::CountPromptTokens(int32_t n) { prompt_tokens_.Increment(n); }
void EngineMetrics::CountGenerationTokens(int32_t n) { generation_tokens_.Increment(n); }

void EngineMetrics::CountFinished(FinishReason reason) {
  TF_CHECK(reason != FinishReason::kNone);
  FinishedCounter(reason).Increment();
}

base::Counter& EngineMetrics::FinishedCounter(FinishReason reason) const {
  switch (reason) {
    case FinishReason::kStop:
      return finished_stop_;
    case FinishReason::kLength:
      return finished_length_;
    case FinishReason::kCancelled:
      return finished_abort_;
    case FinishReason::kError:
    case FinishReason::kNone:
      break;
  }
  return finished_error_;
}

}  // namespace tokenfab::engine
