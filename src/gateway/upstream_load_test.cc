#include "upstream_load.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "prometheus_text.h"

namespace tokenfab::gateway {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(PrometheusTextTest, ParsesSamplesLabelsAndSpecialValues) {
  auto samples = ParsePrometheusText(
      "# HELP x help\n# TYPE x gauge\n"
      "x 1.5\n"
      "y{a=\"1\",b=\"q\\\"uote\\\\ \\n\"} 2e3 1700000000000\n"
      "  z{} NaN\n"
      "w +Inf\r\n"
      "\n");
  ASSERT_TRUE(samples.ok()) << samples.status();
  ASSERT_EQ(samples->size(), 4u);
  EXPECT_EQ((*samples)[0].name, "x");
  EXPECT_EQ((*samples)[0].value, 1.5);
  EXPECT_EQ((*samples)[1].value, 2000);
  ASSERT_EQ((*samples)[1].labels.size(), 2u);
  EXPECT_EQ((*samples)[1].labels[1].second, "q\"uote\\ \n");
  EXPECT_TRUE(std::isnan((*samples)[2].value));
  EXPECT_TRUE(std::isinf((*samples)[3].value));
  PrometheusView view(*samples);
  EXPECT_EQ(view.Sum("z"), std::nullopt) << "NaN is skipped";
  EXPECT_EQ(view.SumFirst({"nope", "x"}), 1.5);
}

TEST(PrometheusTextTest, MalformedLinesNameTheirNumber) {
  EXPECT_THAT(std::string(ParsePrometheusText("ok 1\nbad{a=\"1\" 2\n").status().message()),
              HasSubstr("metrics line 2"));
  EXPECT_THAT(std::string(ParsePrometheusText("x one\n").status().message()),
              HasSubstr("bad value \"one\""));
  EXPECT_FALSE(ParsePrometheusText("{a=\"b\"} 1\n").ok());
}

TEST(TokenfabLoadTest, ReadsTheNodeContract) {
  auto load = ParseTokenfabLoad(R"({
    "model": "demo", "running": 3, "waiting": 1, "kv_usage": 0.42,
    "kv_blocks_total": 4096, "kv_blocks_free": 2370, "block_tokens": 16, "max_running": 64,
    "queue_delay_ms": 12.5, "prefill_tokens_per_s": 5300.0, "decode_tokens_per_s": 410.0,
    "tpot_ms": 24.1,
    "queue_tokens": {"prefill": 3072, "decode_sequences": 2, "kv": 9100},
    "step_model": {"base_us": 3000, "prefill_token_us": 90, "decode_sequence_us": 400,
                   "kv_token_us": 0.25},
    "prefix_cache": {"block_tokens": 32, "hit_rate": 0.37, "cached_blocks": 2,
                     "block_hashes": ["9f3c1a0000000001", "00000000000000ff"]}})");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->model, "demo");
  EXPECT_EQ(load->running, 3);
  EXPECT_EQ(load->waiting, 1);
  EXPECT_DOUBLE_EQ(load->kv_usage, 0.42);
  EXPECT_EQ(load->max_running, 64);
  EXPECT_DOUBLE_EQ(load->queue_delay_ms, 12.5);
  EXPECT_DOUBLE_EQ(load->prefill_tokens_per_s, 5300);
  EXPECT_DOUBLE_EQ(load->decode_tokens_per_s, 410);
  EXPECT_DOUBLE_EQ(load->tpot_ms, 24.1);
  EXPECT_DOUBLE_EQ(load->prefix_hit_rate, 0.37);
  EXPECT_EQ(load->block_tokens, 32);
  EXPECT_THAT(load->cached_block_hashes, ElementsAre(0x9f3c1a0000000001ULL, 0xffULL));
  EXPECT_EQ(load->prefill_tokens_queued, 3072);
  EXPECT_EQ(load->decode_sequences, 2);
  EXPECT_EQ(load->kv_tokens, 9100);
  EXPECT_EQ(load->step_model, (fleet::StepModel{.base_us = 3000,
                                                .prefill_token_us = 90,
                                                .decode_sequence_us = 400,
                                                .kv_token_us = 0.25}));
}

TEST(TokenfabLoadTest, RejectsWhatIsNotTheContract) {
  EXPECT_EQ(ParseTokenfabLoad("[1]").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ParseTokenfabLoad("not json").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(ParseTokenfabLoad(R"({"prefix_cache":{"block_hashes":["xyz"]}})").ok());
  EXPECT_FALSE(ParseTokenfabLoad(R"({"prefix_cache":{"block_hashes":[7]}})").ok());
  auto minimal = ParseTokenfabLoad("{}");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->queue_delay_ms, -1) << "unknown";
  EXPECT_EQ(minimal->prefill_tokens_queued, -1) << "unknown";
  EXPECT_EQ(minimal->decode_sequences, -1) << "unknown";
  EXPECT_FALSE(minimal->step_model.known());
}

// vLLM 0.6 (V0 engine) as it writes /metrics.
constexpr std::string_view kVllmV0 = R"(# HELP vllm:num_requests_running Number of requests currently running on GPU.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="meta-llama/Llama-3.1-8B-Instruct"} 7.0
# HELP vllm:num_requests_waiting Number of requests waiting to be processed.
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="meta-llama/Llama-3.1-8B-Instruct"} 2.0
# HELP vllm:gpu_cache_usage_perc GPU KV-cache usage. 1 means 100 percent usage.
# TYPE vllm:gpu_cache_usage_perc gauge
vllm:gpu_cache_usage_perc{model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.61
vllm:gpu_prefix_cache_hit_rate{model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.25
vllm:time_per_output_token_seconds_bucket{le="0.01",model_name="m"} 10.0
vllm:time_per_output_token_seconds_bucket{le="+Inf",model_name="m"} 100.0
vllm:time_per_output_token_seconds_count{model_name="m"} 100.0
vllm:time_per_output_token_seconds_sum{model_name="m"} 2.0
vllm:prompt_tokens_total{model_name="m"} 12345.0
)";

TEST(MetricsLoadReaderTest, ReadsVllmAndTakesHistogramMeansPerInterval) {
  MetricsLoadReader reader(fleet::UpstreamKind::kVllm);
  auto first = reader.Read(kVllmV0);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->running, 7);
  EXPECT_EQ(first->waiting, 2);
  EXPECT_DOUBLE_EQ(first->kv_usage, 0.61);
  EXPECT_DOUBLE_EQ(first->prefix_hit_rate, 0.25);
  EXPECT_DOUBLE_EQ(first->tpot_ms, 20.0);  // 2 s over 100 tokens
  EXPECT_EQ(first->prefill_tokens_per_s, 0) << "token counters measure load, not speed";
  // 50 more tokens in 0.5 s: the recent mean is 10 ms, not the lifetime 16.7 ms.
  std::string later(kVllmV0);
  auto replace = [&later](std::string_view from, std::string_view to) {
    const size_t at = later.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    later.replace(at, from.size(), to);
  };
  replace("seconds_count{model_name=\"m\"} 100.0", "seconds_count{model_name=\"m\"} 150.0");
  replace("seconds_sum{model_name=\"m\"} 2.0", "seconds_sum{model_name=\"m\"} 2.5");
  auto second = reader.Read(later);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_NEAR(second->tpot_ms, 10.0, 1e-9);
  // No new tokens: TPOT unknown for the interval.
  auto third = reader.Read(later);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->tpot_ms, 0);
}

TEST(MetricsLoadReaderTest, ReadsVllmV1NamesAndPrefixCounters) {
  MetricsLoadReader reader(fleet::UpstreamKind::kVllm);
  auto load = reader.Read(
      "vllm:num_requests_running{engine=\"0\",model_name=\"q\"} 3\n"
      "vllm:num_requests_running{engine=\"1\",model_name=\"q\"} 4\n"
      "vllm:num_requests_waiting{engine=\"0\",model_name=\"q\"} 1\n"
      "vllm:kv_cache_usage_perc{engine=\"0\",model_name=\"q\"} 0.3\n"
      "vllm:prefix_cache_queries_total{model_name=\"q\"} 1000\n"
      "vllm:prefix_cache_hits_total{model_name=\"q\"} 400\n"
      "vllm:inter_token_latency_seconds_sum{model_name=\"q\"} 1.5\n"
      "vllm:inter_token_latency_seconds_count{model_name=\"q\"} 50\n");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->running, 7) << "summed over engines";
  EXPECT_EQ(load->waiting, 1);
  EXPECT_DOUBLE_EQ(load->kv_usage, 0.3);
  EXPECT_DOUBLE_EQ(load->prefix_hit_rate, 0.4);
  EXPECT_DOUBLE_EQ(load->tpot_ms, 30);
}

TEST(MetricsLoadReaderTest, ReadsSglang) {
  MetricsLoadReader reader(fleet::UpstreamKind::kSglang);
  auto load = reader.Read(R"(# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name="meta-llama/Llama-3.1-8B-Instruct"} 12.0
sglang:num_queue_reqs{model_name="meta-llama/Llama-3.1-8B-Instruct"} 5.0
sglang:token_usage{model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.28
sglang:cache_hit_rate{model_name="meta-llama/Llama-3.1-8B-Instruct"} 0.0075
sglang:max_running_requests{model_name="meta-llama/Llama-3.1-8B-Instruct"} 128
sglang:gen_throughput{model_name="meta-llama/Llama-3.1-8B-Instruct"} 355.2
sglang:time_per_output_token_seconds_sum{model_name="meta-llama/Llama-3.1-8B-Instruct"} 866964.5791549598
sglang:time_per_output_token_seconds_count{model_name="meta-llama/Llama-3.1-8B-Instruct"} 7.557572e+06
)");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->running, 12);
  EXPECT_EQ(load->waiting, 5);
  EXPECT_DOUBLE_EQ(load->kv_usage, 0.28);
  EXPECT_DOUBLE_EQ(load->prefix_hit_rate, 0.0075);
  EXPECT_EQ(load->max_running, 128);
  EXPECT_NEAR(load->tpot_ms, 114.71, 0.01);
}

// llama.cpp's llama-server --metrics, as its server-context.cpp writes it.
TEST(MetricsLoadReaderTest, ReadsLlamaCpp) {
  MetricsLoadReader reader(fleet::UpstreamKind::kLlamaCpp);
  auto load = reader.Read(R"(# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.
# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 1234
# HELP llamacpp:prompt_tokens_seconds Average prompt throughput in tokens/s.
# TYPE llamacpp:prompt_tokens_seconds gauge
llamacpp:prompt_tokens_seconds 812.5
# HELP llamacpp:predicted_tokens_seconds Average generation throughput in tokens/s.
# TYPE llamacpp:predicted_tokens_seconds gauge
llamacpp:predicted_tokens_seconds 40
# HELP llamacpp:requests_processing Number of requests processing.
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 2
# HELP llamacpp:requests_deferred Number of requests deferred.
# TYPE llamacpp:requests_deferred gauge
llamacpp:requests_deferred 3
)");
  ASSERT_TRUE(load.ok()) << load.status();
  EXPECT_EQ(load->running, 2);
  EXPECT_EQ(load->waiting, 3);
  EXPECT_DOUBLE_EQ(load->prefill_tokens_per_s, 812.5);
  EXPECT_DOUBLE_EQ(load->tpot_ms, 25);
}

TEST(MetricsLoadReaderTest, WrongServerKindIsNotFound) {
  MetricsLoadReader reader(fleet::UpstreamKind::kSglang);
  EXPECT_EQ(reader.Read(kVllmV0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(reader.Read("garbage line\n").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(LoadPathTest, EachKindItsEndpoint) {
  EXPECT_EQ(LoadPath(fleet::UpstreamKind::kTokenfabNode), "/load");
  EXPECT_EQ(LoadPath(fleet::UpstreamKind::kTokenfabGateway), "/load");
  EXPECT_EQ(LoadPath(fleet::UpstreamKind::kVllm), "/metrics");
  EXPECT_EQ(LoadPath(fleet::UpstreamKind::kLlamaCpp), "/metrics");
  EXPECT_EQ(LoadPath(fleet::UpstreamKind::kOpenAi), "/v1/models");
}

}  // namespace
}  // namespace tokenfab::gateway
