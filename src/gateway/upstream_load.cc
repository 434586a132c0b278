#include "upstream_load.h"

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

#include "prometheus_text.h"
#include "tokenfab/api/load_report.h"

namespace tokenfab::gateway {
namespace {

int32_t ClampCount(double value) {
  if (!(value > 0)) return 0;
  return value > 1e9 ? 1'000'000'000 : static_cast<int32_t>(value + 0.5);
}

}  // namespace

std::string_view LoadPath(fleet::UpstreamKind kind) {
  switch (kind) {
    case fleet::UpstreamKind::kTokenfabNode:
    case fleet::UpstreamKind::kTokenfabGateway:
      return "/load";
    case fleet::UpstreamKind::kVllm:
    case fleet::UpstreamKind::kSglang:
    case fleet::UpstreamKind::kLlamaCpp:
      return "/metrics";
    case fleet::UpstreamKind::kOpenAi:
      return "/v1/models";
  }
  return "/v1/models";
}

StatusOr<UpstreamLoad> ParseTokenfabLoad(std::string_view text) {
  TF_ASSIGN_OR_RETURN(api::LoadReport report, api::ParseLoadReport(text));
  UpstreamLoad load;
  load.model = std::move(report.model);
  // The reader clamps counts to [0, 1e9]: they fit.
  load.running = static_cast<int32_t>(report.running);
  load.waiting = static_cast<int32_t>(report.waiting);
  load.kv_usage = report.kv_usage;
  load.max_running = static_cast<int32_t>(report.max_running);
  load.queue_delay_ms = report.queue_delay_ms;
  load.prefill_tokens_per_s = report.prefill_tokens_per_s;
  load.decode_tokens_per_s = report.decode_tokens_per_s;
  load.tpot_ms = report.tpot_ms;
  load.prefill_tokens_queued = report.prefill_tokens_queued.value_or(-1);
  load.decode_sequences =
      report.decode_sequences ? static_cast<int32_t>(*report.decode_sequences) : -1;
  load.kv_tokens = report.kv_tokens.value_or(-1);
  if (report.step_model) {
    load.step_model = {.base_us = report.step_model->base_us,
                       .prefill_token_us = report.step_model->prefill_token_us,
                       .decode_sequence_us = report.step_model->decode_sequence_us,
                       .kv_token_us = report.step_model->kv_token_us};
  }
  load.prefix_hit_rate = report.prefix_hit_rate;
  load.block_tokens = report.block_tokens;
  load.cached_block_hashes = std::move(report.block_hashes);
  return load;
}

std::optional<double> MetricsLoadReader::IntervalMean(const PrometheusView& view,
                                                      std::string_view base,
                                                      HistogramTotals& previous) {
  std::optional<double> sum = view.Sum(std::string(base) + "_sum");
  std::optional<double> count = view.Sum(std::string(base) + "_count");
  if (!sum || !count) return std::nullopt;
  double delta_sum = *sum - previous.sum;
  double delta_count = *count - previous.count;
  if (delta_count < 0 || delta_sum < 0) {  // the server restarted: start over
    delta_sum = *sum;
    delta_count = *count;
  }
  previous = {*sum, *count};
  if (delta_count <= 0) return std::nullopt;
  return delta_sum / delta_count;
}

StatusOr<UpstreamLoad> MetricsLoadReader::Read(std::string_view text) {
  TF_ASSIGN_OR_RETURN(std::vector<PrometheusSample> samples, ParsePrometheusText(text));
  PrometheusView view(samples);
  UpstreamLoad load;
  std::optional<double> running, waiting;
  std::optional<double> tpot_s;
  switch (kind_) {
    case fleet::UpstreamKind::kVllm: {
      running = view.Sum("vllm:num_requests_running");
      waiting = view.Sum("vllm:num_requests_waiting");
      load.kv_usage =
          view.SumFirst({"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"}).value_or(0);
      tpot_s = IntervalMean(view, "vllm:time_per_output_token_seconds", tpot_);
      if (!tpot_s) tpot_s = IntervalMean(view, "vllm:inter_token_latency_seconds", tpot_);
      std::optional<double> hits = view.Sum("vllm:prefix_cache_hits_total");
      std::optional<double> queries = view.Sum("vllm:prefix_cache_queries_total");
      if (hits && queries) {
        const double dq = *queries - prefix_queries_;
        if (dq > 0 && *hits >= prefix_hits_) load.prefix_hit_rate = (*hits - prefix_hits_) / dq;
        prefix_hits_ = *hits;
        prefix_queries_ = *queries;
      } else if (std::optional<double> rate = view.Sum("vllm:gpu_prefix_cache_hit_rate")) {
        load.prefix_hit_rate = *rate;
      }
      break;
    }
    case fleet::UpstreamKind::kSglang: {
      running = view.Sum("sglang:num_running_reqs");
      waiting = view.Sum("sglang:num_queue_reqs");
      load.kv_usage = view.Sum("sglang:token_usage").value_or(0);
      load.max_running = ClampCount(view.Sum("sglang:max_running_requests").value_or(0));
      load.prefix_hit_rate = view.Sum("sglang:cache_hit_rate").value_or(-1);
      tpot_s = IntervalMean(view, "sglang:time_per_output_token_seconds", tpot_);
      if (!tpot_s) tpot_s = IntervalMean(view, "sglang:inter_token_latency_seconds", tpot_);
      break;
    }
    case fleet::UpstreamKind::kLlamaCpp: {
      running = view.Sum("llamacpp:requests_processing");
      waiting = view.Sum("llamacpp:requests_deferred");
      load.kv_usage = view.Sum("llamacpp:kv_cache_usage_ratio").value_or(0);
      load.prefill_tokens_per_s = view.Sum("llamacpp:prompt_tokens_seconds").value_or(0);
      if (std::optional<double> speed = view.Sum("llamacpp:predicted_tokens_seconds");
          speed && *speed > 0) {
        tpot_s = 1.0 / *speed;
      }
      break;
    }
    default:
      return absl::InvalidArgumentError(fmt::format("no /metrics reader for kind {}",
                                                    fleet::UpstreamKindName(kind_)));
  }
  if (!running && !waiting) {
    return absl::NotFoundError(fmt::format("/metrics has none of the {} load metrics",
                                           fleet::UpstreamKindName(kind_)));
  }
  load.running = ClampCount(running.value_or(0));
  load.waiting = ClampCount(waiting.value_or(0));
  load.kv_usage = std::clamp(load.kv_usage, 0.0, 1.0);
  if (tpot_s && *tpot_s > 0) load.tpot_ms = *tpot_s * 1000.0;
  return load;
}

}  // namespace tokenfab::gateway
