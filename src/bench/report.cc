#include "tokenfab/bench/report.h"

#include <cmath>

#include <fmt/format.h>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace tokenfab::bench {
namespace {

namespace json = boost::json;

constexpr int kLabelWidth = 40;

void Line(std::string& out, std::string_view label, std::string_view value) {
  fmt::format_to(std::back_inserter(out), "{:<{}} {}\n", label, kLabelWidth, value);
}

void MetricRow(std::string& out, std::string_view name, const Summary& s) {
  if (s.count == 0) {
    fmt::format_to(std::back_inserter(out), "{:<22}{:>10}\n", name, "-");
    return;
  }
  fmt::format_to(std::back_inserter(out), "{:<22}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}{:>10.2f}\n",
                 name, s.mean, s.p50, s.p90, s.p99, s.max);
}

json::object SummaryJson(const Summary& s) {
  return json::object{{"count", s.count}, {"mean", s.mean}, {"min", s.min}, {"p50", s.p50},
                      {"p90", s.p90},     {"p99", s.p99},   {"max", s.max}};
}

json::value NumberOrNull(double value) {
  return std::isnan(value) ? json::value(nullptr) : json::value(value);
}

}  // namespace

std::string FormatReportTable(const BenchSummary& summary, const RunDescription& description) {
  std::string out;
  out += "==================== Serving benchmark ====================\n";
  for (const auto& [name, value] : description) Line(out, name + ":", value);
  out += "-------------------------- Results ------------------------\n";
  Line(out, "Requests (measured):", fmt::format("{}", summary.requests));
  Line(out, "Successful requests:", fmt::format("{}", summary.completed));
  Line(out, "Failed requests:", fmt::format("{}", summary.failed));
  for (const auto& [kind, count] : summary.errors_by_kind) {
    Line(out, fmt::format("  {}:", kind), fmt::format("{}", count));
  }
  Line(out, "Benchmark duration (s):", fmt::format("{:.2f}", summary.duration_s));
  Line(out, "Total input tokens:", fmt::format("{}", summary.input_tokens));
  Line(out, "Total output tokens:", fmt::format("{}", summary.output_tokens));
  if (summary.usage_missing > 0) {
    Line(out,
         "  counted from chunks (no usage):", fmt::format("{} requests", summary.usage_missing));
  }
  if (summary.cache_reported_input_tokens > 0) {
    Line(out, "Prefix-cached input tokens:",
         fmt::format("{} ({:.1f} %)", summary.cached_tokens,
                     100.0 * static_cast<double>(summary.cached_tokens) /
                         static_cast<double>(summary.cache_reported_input_tokens)));
  }
  Line(out, "Request throughput (req/s):", fmt::format("{:.2f}", summary.request_throughput));
  Line(out,
       "Output token throughput (tok/s):", fmt::format("{:.2f}", summary.output_token_throughput));
  Line(out,
       "Total token throughput (tok/s):", fmt::format("{:.2f}", summary.total_token_throughput));
  if (summary.slo.enabled()) {
    std::string slo;
    if (summary.slo.ttft_ms > 0) slo += fmt::format("TTFT <= {} ms", summary.slo.ttft_ms);
    if (summary.slo.tpot_ms > 0) {
      slo += fmt::format("{}TPOT <= {} ms", slo.empty() ? "" : ", ", summary.slo.tpot_ms);
    }
    Line(out, "SLO:", slo);
    Line(out, "Goodput (req/s):", fmt::format("{:.2f}", summary.goodput));
    Line(out, "SLO attainment:",
         fmt::format("{:.1f} % ({} of {})", 100 * summary.slo_attainment, summary.slo_met,
                     summary.requests));
  }
  out += "------------------------- Latency (ms) --------------------\n";
  fmt::format_to(std::back_inserter(out), "{:<22}{:>10}{:>10}{:>10}{:>10}{:>10}\n", "", "mean",
                 "p50", "p90", "p99", "max");
  MetricRow(out, "TTFT", summary.ttft_ms);
  MetricRow(out, "TPOT", summary.tpot_ms);
  MetricRow(out, "ITL", summary.itl_ms);
  MetricRow(out, "E2E latency", summary.e2e_ms);
  MetricRow(out, "Client queue delay", summary.queue_delay_ms);
  out += "===========================================================\n";
  return out;
}

std::string FormatReportJson(const BenchSummary& summary, const RunDescription& description,
                             const std::vector<RequestRecord>* records) {
  json::object config;
  for (const auto& [name, value] : description) config[name] = value;
  json::object errors;
  for (const auto& [kind, count] : summary.errors_by_kind) errors[kind] = count;
  json::object totals{
      {"requests", summary.requests},
      {"completed", summary.completed},
      {"failed", summary.failed},
      {"duration_s", summary.duration_s},
      {"input_tokens", summary.input_tokens},
      {"output_tokens", summary.output_tokens},
      {"usage_missing", summary.usage_missing},
      {"cached_tokens", summary.cached_tokens},
      {"cache_reported_input_tokens", summary.cache_reported_input_tokens},
      {"request_throughput", summary.request_throughput},
      {"input_token_throughput", summary.input_token_throughput},
      {"output_token_throughput", summary.output_token_throughput},
      {"total_token_throughput", summary.total_token_throughput},
  };
  if (summary.slo.enabled()) {
    totals["slo_ttft_ms"] = summary.slo.ttft_ms;
    totals["slo_tpot_ms"] = summary.slo.tpot_ms;
    totals["slo_met"] = summary.slo_met;
    totals["goodput"] = summary.goodput;
    totals["slo_attainment"] = summary.slo_attainment;
  }
  json::object metrics{{"ttft_ms", SummaryJson(summary.ttft_ms)},
                       {"tpot_ms", SummaryJson(summary.tpot_ms)},
                       {"itl_ms", SummaryJson(summary.itl_ms)},
                       {"e2e_ms", SummaryJson(summary.e2e_ms)},
                       {"queue_delay_ms", SummaryJson(summary.queue_delay_ms)}};
  json::object root{
      {"config", std::move(config)},
      {"summary", std::move(totals)},
      {"metrics", std::move(metrics)},
      {"errors", std::move(errors)},
      {"percentile_definition", "linear interpolation between closest ranks (numpy default)"}};
  if (records != nullptr) {
    json::array rows;
    rows.reserve(records->size());
    for (const RequestRecord& r : *records) {
      json::object row{{"index", r.index},
                       {"ok", r.ok()},
                       {"input_tokens", r.InputTokens()},
                       {"expected_input_tokens", r.expected_input_tokens},
                       {"output_tokens", r.OutputTokens()},
                       {"expected_output_tokens", r.expected_output_tokens},
                       {"queue_delay_ms", r.QueueDelayMs()},
                       {"e2e_ms", r.E2eMs()}};
      row["ttft_ms"] = r.first_token_us >= 0 ? json::value(r.TtftMs()) : json::value(nullptr);
      row["tpot_ms"] = NumberOrNull(r.TpotMs());
      if (!r.ok()) {
        row["error_kind"] = r.error_kind;
        row["error"] = r.error_message;
        row["http_status"] = r.http_status;
      }
      rows.emplace_back(std::move(row));
    }
    root["requests"] = std::move(rows);
  }
  return json::serialize(root) + "\n";
}

}  // namespace tokenfab::bench
