#include "tokenfab/api/load_report.h"

#include <algorithm>

#include <fmt/format.h>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tokenfab::api {
namespace {

namespace json = boost::json;

json::string_view View(std::string_view s) { return json::string_view(s.data(), s.size()); }

std::optional<double> Number(const json::object& object, std::string_view key) {
  const json::value* v = object.if_contains(View(key));
  if (v == nullptr) return std::nullopt;
  if (v->is_double()) return v->get_double();
  if (v->is_int64()) return static_cast<double>(v->get_int64());
  if (v->is_uint64()) return static_cast<double>(v->get_uint64());
  return std::nullopt;
}

int64_t ClampCount(double value, double max = 1e9) {
  if (!(value > 0)) return 0;
  return value > max ? static_cast<int64_t>(max) : static_cast<int64_t>(value + 0.5);
}

std::optional<int64_t> OptionalCount(const json::object& object, std::string_view key,
                                     double max = 1e9) {
  std::optional<double> value = Number(object, key);
  if (!value) return std::nullopt;
  return ClampCount(*value, max);
}

int64_t Count(const json::object& object, std::string_view key) {
  return OptionalCount(object, key).value_or(0);
}

double Rate(const json::object& object, std::string_view key) {
  return std::max(0.0, Number(object, key).value_or(0));
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

json::object PrefixCacheJson(const LoadReport& report) {
  json::array hashes;
  hashes.reserve(report.block_hashes.size());
  for (uint64_t hash : report.block_hashes) hashes.emplace_back(fmt::format("{:016x}", hash));
  json::object cache;
  cache["block_tokens"] = report.block_tokens;
  cache["hit_rate"] = report.prefix_hit_rate;
  cache["cached_blocks"] = report.prefix_cached_blocks;
  cache["block_hashes"] = std::move(hashes);
  return cache;
}

Status ReadPrefixCache(const json::object& cache, LoadReport& report) {
  report.prefix_hit_rate = Number(cache, "hit_rate").value_or(-1);
  report.prefix_cached_blocks = Count(cache, "cached_blocks");
  if (const int64_t block_tokens = Count(cache, "block_tokens"); block_tokens > 0) {
    report.block_tokens = static_cast<int32_t>(block_tokens);
  }
  const json::value* hashes = cache.if_contains("block_hashes");
  if (hashes == nullptr || !hashes->is_array()) return absl::OkStatus();
  report.block_hashes.reserve(hashes->get_array().size());
  for (const json::value& h : hashes->get_array()) {
    if (!h.is_string()) return absl::DataLossError("/load: a block hash is not a string");
    std::optional<uint64_t> hash = ParseHex64(h.get_string());
    if (!hash) {
      return absl::DataLossError(
          fmt::format("/load: block hash \"{}\" is not hex", std::string(h.get_string())));
    }
    report.block_hashes.push_back(*hash);
  }
  return absl::OkStatus();
}

void WriteQueueTokens(const LoadReport& report, json::object& out) {
  if (!report.prefill_tokens_queued && !report.decode_sequences && !report.kv_tokens) return;
  json::object queue;
  if (report.prefill_tokens_queued) queue["prefill"] = *report.prefill_tokens_queued;
  if (report.decode_sequences) queue["decode_sequences"] = *report.decode_sequences;
  if (report.kv_tokens) queue["kv"] = *report.kv_tokens;
  out["queue_tokens"] = std::move(queue);
}

void WriteStepModel(const LoadReport& report, json::object& out) {
  if (!report.step_model) return;
  json::object model;
  for (const LoadStepModelField& field : kLoadStepModelFields) {
    model[field.name] = (*report.step_model).*field.member;
  }
  out["step_model"] = std::move(model);
}

void ReadQueueAndModel(const json::object& o, LoadReport& report) {
  constexpr double kMaxTokens = 1e12;
  if (const json::value* queue = o.if_contains("queue_tokens"); queue && queue->is_object()) {
    const json::object& q = queue->get_object();
    report.prefill_tokens_queued = OptionalCount(q, "prefill", kMaxTokens);
    report.decode_sequences = OptionalCount(q, "decode_sequences");
    report.kv_tokens = OptionalCount(q, "kv", kMaxTokens);
  }
  if (const json::value* model = o.if_contains("step_model"); model && model->is_object()) {
    const json::object& m = model->get_object();
    LoadStepModel step_model;
    for (const LoadStepModelField& field : kLoadStepModelFields) {
      step_model.*field.member = Rate(m, field.name);
    }
    report.step_model = step_model;
  }
}

}  // namespace

std::string LoadReportJson(const LoadReport& report) {
  json::object out;
  out["model"] = View(report.model);
  out["running"] = report.running;
  out["waiting"] = report.waiting;
  out["kv_usage"] = report.kv_usage;
  if (report.kv_blocks_total) out["kv_blocks_total"] = *report.kv_blocks_total;
  if (report.kv_blocks_free) out["kv_blocks_free"] = *report.kv_blocks_free;
  out["block_tokens"] = report.block_tokens;
  out["max_running"] = report.max_running;
  out["queue_delay_ms"] = report.queue_delay_ms;
  out["prefill_tokens_per_s"] = report.prefill_tokens_per_s;
  out["decode_tokens_per_s"] = report.decode_tokens_per_s;
  out["tpot_ms"] = report.tpot_ms;
  if (report.upstreams_healthy) out["upstreams_healthy"] = *report.upstreams_healthy;
  WriteQueueTokens(report, out);
  WriteStepModel(report, out);
  out["prefix_cache"] = PrefixCacheJson(report);
  return json::serialize(out);
}

StatusOr<LoadReport> ParseLoadReport(std::string_view text) {
  boost::system::error_code ec;
  json::value parsed = json::parse(View(text), ec);
  if (ec || !parsed.is_object()) {
    return absl::DataLossError(
        fmt::format("/load: not a JSON object: {}", ec ? ec.message() : std::string("wrong type")));
  }
  const json::object& o = parsed.get_object();
  LoadReport report;
  if (const json::value* model = o.if_contains("model"); model && model->is_string()) {
    report.model = std::string(model->get_string());
  }
  report.running = Count(o, "running");
  report.waiting = Count(o, "waiting");
  report.kv_usage = std::clamp(Number(o, "kv_usage").value_or(0), 0.0, 1.0);
  report.kv_blocks_total = OptionalCount(o, "kv_blocks_total");
  report.kv_blocks_free = OptionalCount(o, "kv_blocks_free");
  report.max_running = Count(o, "max_running");
  report.queue_delay_ms = Number(o, "queue_delay_ms").value_or(-1);
  report.prefill_tokens_per_s = Rate(o, "prefill_tokens_per_s");
  report.decode_tokens_per_s = Rate(o, "decode_tokens_per_s");
  report.tpot_ms = Rate(o, "tpot_ms");
  report.upstreams_healthy = OptionalCount(o, "upstreams_healthy");
  report.block_tokens = static_cast<int32_t>(Count(o, "block_tokens"));
  ReadQueueAndModel(o, report);
  if (const json::value* cache = o.if_contains("prefix_cache"); cache && cache->is_object()) {
    TF_RETURN_IF_ERROR(ReadPrefixCache(cache->get_object(), report));
  }
  return report;
}

}  // namespace tokenfab::api
