#include "upstream_load.h"

#include <cstdlib>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "prometheus_text.h"

namespace tokenfab::gateway {
namespace {

namespace json = boost::json;

double NumberOr(const json::object& object, std::string_view key, double fallback) {
  const json::value* v = object.if_contains(json::string_view(key.data(), key.size()));
  if (v == nullptr) return fallback;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return fallback;
}

std::optional<uint64_t> ParseHex64(std::string_view text) {
  if (text.empty() || text.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

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
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !parsed.is_object()) {
    return absl::DataLossError(fmt::format("/load: not a JSON object: {}",
                                           ec ? ec.message() : std::string("wrong type")));
  }
  const json::object& o = parsed.get_object();
  UpstreamLoad load;
  if (const json::value* model = o.if_contains("model"); model && model->is_string()) {
    load.model = std::string(model->get_string());
  }
  load.running = ClampCount(NumberOr(o, "running", 0));
  load.waiting = ClampCount(NumberOr(o, "waiting", 0));
  load.kv_usage = std::clamp(NumberOr(o, "kv_usage", 0), 0.0, 1.0);
  load.max_running = ClampCount(NumberOr(o, "max_running", 0));
  load.queue_delay_ms = NumberOr(o, "queue_delay_ms", -1);
  load.prefill_tokens_per_s = std::max(0.0, NumberOr(o, "prefill_tokens_per_s", 0));
  load.decode_tokens_per_s = std::max(0.0, NumberOr(o, "decode_tokens_per_s", 0));
  load.tpot_ms = std::max(0.0, NumberOr(o, "tpot_ms", 0));
  load.block_tokens = ClampCount(NumberOr(o, "block_tokens", 0));
  if (const json::value* pc = o.if_contains("prefix_cache"); pc && pc->is_object()) {
    const json::object& cache = pc->get_object();
    load.prefix_hit_rate = NumberOr(cache, "hit_rate", -1);
    if (const int32_t bt = ClampCount(NumberOr(cache, "block_tokens", 0)); bt > 0) {
      load.block_tokens = bt;
    }
    if (const json::value* hashes = cache.if_contains("block_hashes");
        hashes && hashes->is_array()) {
      load.cached_block_hashes.reserve(hashes->get_array().size());
      for (const json::value& h : hashes->get_array()) {
        if (!h.is_string()) return absl::DataLossError("/load: a block hash is not a string");
        std::optional<uint64_t> hash = ParseHex64(h.get_string());
        if (!hash) {
          return absl::DataLossError(
              fmt::format("/load: block hash \"{}\" is not hex", std::string(h.get_string())));
        }
        load.cached_block_hashes.push_back(*hash);
      }
    }
  }
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
