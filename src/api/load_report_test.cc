#include "tokenfab/api/load_report.h"

#include <set>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tokenfab::api {
namespace {

namespace json = boost::json;

// Every field set, each to a value that differs from its default and from the other fields.
LoadReport Full() {
  LoadReport r;
  r.model = "demo";
  r.running = 3;
  r.waiting = 5;
  r.kv_usage = 0.25;
  r.kv_blocks_total = 4096;
  r.kv_blocks_free = 2370;
  r.max_running = 64;
  r.queue_delay_ms = 12.5;
  r.prefill_tokens_per_s = 5300;
  r.decode_tokens_per_s = 410;
  r.tpot_ms = 24.125;
  r.upstreams_healthy = 7;
  r.block_tokens = 32;
  r.prefix_hit_rate = 0.375;
  r.prefix_cached_blocks = 11;
  r.block_hashes = {0x9f3c1a0000000001ULL, 0xffULL, 0xffffffffffffffffULL};
  r.prefill_tokens_queued = 3072;
  r.decode_sequences = 2;
  r.kv_tokens = 9100;
  r.step_model = LoadStepModel{
      .base_us = 3000, .prefill_token_us = 90.5, .decode_sequence_us = 400, .kv_token_us = 0.25};
  return r;
}

TEST(LoadReportTest, EveryFieldIsSetInTheFullReport) {
  // This binding stops compiling when LoadReport gains or loses a field: set the new field in
  // Full(), here, and in both LoadReportJson and ParseLoadReport.
  const LoadReport full = Full();
  const LoadReport none;
  const auto& [model, running, waiting, kv_usage, kv_blocks_total, kv_blocks_free, max_running,
               queue_delay_ms, prefill, decode, tpot_ms, upstreams_healthy, block_tokens, hit_rate,
               cached_blocks, block_hashes, prefill_tokens_queued, decode_sequences, kv_tokens,
               step_model] = full;
  EXPECT_NE(model, none.model);
  EXPECT_NE(running, none.running);
  EXPECT_NE(waiting, none.waiting);
  EXPECT_NE(kv_usage, none.kv_usage);
  EXPECT_NE(kv_blocks_total, none.kv_blocks_total);
  EXPECT_NE(kv_blocks_free, none.kv_blocks_free);
  EXPECT_NE(max_running, none.max_running);
  EXPECT_NE(queue_delay_ms, none.queue_delay_ms);
  EXPECT_NE(prefill, none.prefill_tokens_per_s);
  EXPECT_NE(decode, none.decode_tokens_per_s);
  EXPECT_NE(tpot_ms, none.tpot_ms);
  EXPECT_NE(upstreams_healthy, none.upstreams_healthy);
  EXPECT_NE(block_tokens, none.block_tokens);
  EXPECT_NE(hit_rate, none.prefix_hit_rate);
  EXPECT_NE(cached_blocks, none.prefix_cached_blocks);
  EXPECT_NE(block_hashes, none.block_hashes);
  EXPECT_NE(prefill_tokens_queued, none.prefill_tokens_queued);
  EXPECT_NE(decode_sequences, none.decode_sequences);
  EXPECT_NE(kv_tokens, none.kv_tokens);
  EXPECT_NE(step_model, none.step_model);
  // Each coefficient differs from the others, so a swapped key cannot round-trip.
  const LoadStepModel& m = *step_model;
  EXPECT_EQ(
      (std::set<double>{m.base_us, m.prefill_token_us, m.decode_sequence_us, m.kv_token_us}).size(),
      4u);
}

TEST(LoadReportTest, RoundTripsEveryField) {
  const LoadReport full = Full();
  StatusOr<LoadReport> read = ParseLoadReport(LoadReportJson(full));
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, full);
}

TEST(LoadReportTest, UnsetOptionalFieldsAreLeftOutAndStayUnset) {
  LoadReport node = Full();
  node.upstreams_healthy.reset();
  const json::value written = json::parse(LoadReportJson(node));
  EXPECT_FALSE(written.as_object().contains("upstreams_healthy"));
  EXPECT_TRUE(written.as_object().contains("kv_blocks_total"));
  EXPECT_EQ(*ParseLoadReport(LoadReportJson(node)), node);
  EXPECT_EQ(*ParseLoadReport(LoadReportJson(LoadReport{})), LoadReport{});
  LoadReport gateway = Full();
  gateway.step_model.reset();
  gateway.prefill_tokens_queued.reset();
  gateway.decode_sequences.reset();
  gateway.kv_tokens.reset();
  const json::object gateway_written = json::parse(LoadReportJson(gateway)).as_object();
  EXPECT_FALSE(gateway_written.contains("step_model"));
  EXPECT_FALSE(gateway_written.contains("queue_tokens"));
  EXPECT_EQ(*ParseLoadReport(LoadReportJson(gateway)), gateway);
}

// Each key the writer writes is one the reader reads: dropping it changes what is read.
TEST(LoadReportTest, EveryWrittenKeyIsRead) {
  const LoadReport full = Full();
  const json::object written = json::parse(LoadReportJson(full)).as_object();
  for (const auto& entry : written) {
    const std::string key(entry.key());
    // block_tokens is written twice (either copy suffices; MissingFieldsKeepTheirDefaults reads
    // each); prefix_cache's keys are dropped one by one below.
    if (key == "block_tokens" || key == "prefix_cache" || key == "queue_tokens" ||
        key == "step_model") {
      continue;
    }
    json::object without = written;
    without.erase(key);
    EXPECT_NE(*ParseLoadReport(json::serialize(without)), full) << key << " is not read";
  }
  const json::object& cache = written.at("prefix_cache").as_object();
  for (const auto& entry : cache) {
    const std::string key(entry.key());
    if (key == "block_tokens") continue;
    json::object without = written;
    without["prefix_cache"].as_object().erase(key);
    EXPECT_NE(*ParseLoadReport(json::serialize(without)), full)
        << "prefix_cache." << key << " is not read";
  }
  for (const char* object : {"queue_tokens", "step_model"}) {
    for (const auto& entry : written.at(object).as_object()) {
      json::object without = written;
      without[object].as_object().erase(entry.key());
      EXPECT_NE(*ParseLoadReport(json::serialize(without)), full)
          << object << "." << std::string(entry.key()) << " is not read";
    }
  }
}

TEST(LoadReportTest, QueueTokensAndStepModelAreTamed) {
  StatusOr<LoadReport> r = ParseLoadReport(R"({
    "queue_tokens": {"prefill": 5e13, "decode_sequences": -2, "kv": "lots"},
    "step_model": {"base_us": -5, "prefill_token_us": 12.5}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->prefill_tokens_queued, 1'000'000'000'000);
  EXPECT_EQ(r->decode_sequences, 0);
  EXPECT_FALSE(r->kv_tokens.has_value());
  ASSERT_TRUE(r->step_model.has_value());
  EXPECT_EQ(*r->step_model, (LoadStepModel{.prefill_token_us = 12.5}));
  EXPECT_FALSE(ParseLoadReport(R"({"step_model": 3})")->step_model.has_value());
}

TEST(LoadReportTest, MissingFieldsKeepTheirDefaults) {
  StatusOr<LoadReport> empty = ParseLoadReport("{}");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, LoadReport{});
  EXPECT_EQ(empty->queue_delay_ms, -1) << "unknown";
  EXPECT_EQ(empty->prefix_hit_rate, -1) << "unknown";
  EXPECT_FALSE(empty->kv_blocks_total.has_value());
  // Top-level block_tokens counts when prefix_cache does not give one.
  EXPECT_EQ(ParseLoadReport(R"({"block_tokens": 16})")->block_tokens, 16);
  EXPECT_EQ(ParseLoadReport(R"({"block_tokens": 16, "prefix_cache": {"block_tokens": 32}})")
                ->block_tokens,
            32);
}

TEST(LoadReportTest, OutOfRangeAndWrongTypedValuesAreTamed) {
  StatusOr<LoadReport> r = ParseLoadReport(R"({
    "model": 7, "running": -3, "waiting": 2.6, "kv_usage": 1.5, "max_running": 1e12,
    "prefill_tokens_per_s": -1, "tpot_ms": "fast", "kv_blocks_total": "many",
    "prefix_cache": {"hit_rate": null}})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "");
  EXPECT_EQ(r->running, 0);
  EXPECT_EQ(r->waiting, 3);
  EXPECT_EQ(r->kv_usage, 1.0);
  EXPECT_EQ(r->max_running, 1'000'000'000);
  EXPECT_EQ(r->prefill_tokens_per_s, 0);
  EXPECT_EQ(r->tpot_ms, 0);
  EXPECT_FALSE(r->kv_blocks_total.has_value());
  EXPECT_EQ(r->prefix_hit_rate, -1);
}

TEST(LoadReportTest, RejectsWhatIsNotTheContract) {
  EXPECT_EQ(ParseLoadReport("[1]").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseLoadReport("not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseLoadReport(R"({"prefix_cache":{"block_hashes":["xyz"]}})").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseLoadReport(R"({"prefix_cache":{"block_hashes":[7]}})").status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(
      ParseLoadReport(R"({"prefix_cache":{"block_hashes":["11112222333344445"]}})").status().code(),
      absl::StatusCode::kDataLoss);  // 17 digits
}

}  // namespace
}  // namespace tokenfab::api
