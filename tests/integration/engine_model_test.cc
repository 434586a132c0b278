// The engine on a real (tiny) model with its own thread: concurrent clients streaming sampled
// text, cancellation releasing KV blocks at once (as the load snapshot shows), the metrics in the
// registry, and the performance model calibrated on the real runner.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine_test_models.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/engine/model_executor.h"
#include "tokenfab/engine/performance_model.h"

namespace tokenfab::engine {
namespace {

using ::testing::HasSubstr;

SchedulerConfig Config() {
  SchedulerConfig c;
  c.block_size = 16;
  c.num_kv_blocks = 64;
  c.max_context_tokens = 256;
  c.max_running_sequences = 8;
  c.max_batch_tokens = 256;
  c.max_prefill_chunk_tokens = 128;
  return c;
}

std::unique_ptr<Engine> ThreadedEngine(const model::Model& model, base::MetricsRegistry* registry) {
  ModelExecutorOptions exec;
  exec.num_threads = 2;
  EngineOptions options;
  options.scheduler = Config();
  options.check_invariants = true;
  options.load_hashes_refresh_us = 0;
  auto executor = ModelExecutor::Create(model, options.scheduler, exec);
  EXPECT_TRUE(executor.ok()) << executor.status();
  auto engine = Engine::Create(options, *std::move(executor), model.tokenizer(),
                               base::RealClock::Get(), registry);
  EXPECT_TRUE(engine.ok()) << engine.status();
  (*engine)->Start();
  return *std::move(engine);
}

TEST(EngineModelTest, ConcurrentClientsStreamSeededSamplesReproducibly) {
  const model::Model* model = testing::TinyModel(model::Architecture::kLlama, model::WeightScheme::kF32);
  ASSERT_NE(model, nullptr);
  base::MetricsRegistry registry;
  std::unique_ptr<Engine> engine = ThreadedEngine(*model, &registry);
  const tokenizer::Tokenizer& tokenizer = model->tokenizer();
  const std::vector<Token> prompt = tokenizer.Encode("Once upon a time, in a small town,", false, false);

  // Each client samples at temperature 0.9 with its own seed; the same seed twice in a row
  // (the second time with the prompt cached) must give the same stream.
  constexpr int kClients = 6;
  std::vector<std::string> first(kClients), second(kClients);
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (std::string* out : {&first[c], &second[c]}) {
        EngineRequest r;
        r.prompt = prompt;
        r.sampling.temperature = 0.9f;
        r.sampling.top_k = 40;
        r.sampling.seed = 1000 + c;
        r.sampling.max_tokens = 20;
        r.ignore_eos = true;
        StatusOr<RequestHandle> h = engine->Submit(std::move(r));
        ASSERT_TRUE(h.ok()) << h.status();
        std::vector<Token> tokens;
        std::vector<EngineEvent> events;
        // Poll-style consumption, as an I/O thread would (Next() blocks between polls).
        while (!h->done()) {
          events.push_back(h->Next());
          h->Poll(&events);
          if (events.back().finished()) break;
        }
        for (const EngineEvent& e : events) {
          *out += e.text;
          if (!e.finished()) tokens.push_back(e.token);
        }
        EXPECT_EQ(events.back().usage.completion_tokens, 20);
        EXPECT_EQ(*out, tokenizer.Decode(tokens));
      }
    });
  }
  for (std::thread& t : clients) t.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(first[c], second[c]) << "client " << c;
  EXPECT_NE(first[0], first[1]);  // different seeds, different samples

  const std::string metrics = registry.WritePrometheusText();
  EXPECT_THAT(metrics, HasSubstr("tokenfab:generation_tokens_total 240"));
  EXPECT_THAT(metrics, HasSubstr("tokenfab:time_to_first_token_seconds_count 12"));
  const std::shared_ptr<const EngineLoad> load = engine->Load();
  EXPECT_EQ(load->running, 0);
  EXPECT_EQ(load->kv_blocks_free, load->kv_blocks_total);
  EXPECT_GT(load->prefix_hit_rate, 0);
  EXPECT_GT(load->decode_tokens_per_s, 0);
  EXPECT_FALSE(load->block_hashes.empty());
}

TEST(EngineModelTest, CancelReleasesBlocksBeforeTheClientSeesTheEnd) {
  const model::Model* model = testing::TinyModel(model::Architecture::kLlama, model::WeightScheme::kF32);
  ASSERT_NE(model, nullptr);
  std::unique_ptr<Engine> engine = ThreadedEngine(*model, nullptr);
  EngineRequest r;
  for (int i = 0; i < 100; ++i) r.prompt.push_back(2000 + i);
  r.sampling.max_tokens = 150;
  r.ignore_eos = true;
  StatusOr<RequestHandle> h = engine->Submit(std::move(r));
  ASSERT_TRUE(h.ok());
  const EngineEvent token = h->Next();
  ASSERT_FALSE(token.finished());
  h->Cancel();
  const std::vector<EngineEvent> rest = h->Wait();
  EXPECT_EQ(rest.back().finish_reason, FinishReason::kCancelled);
  EXPECT_LT(rest.back().usage.completion_tokens, 150);
  // The snapshot is published before the end is delivered: the blocks are back already.
  const std::shared_ptr<const EngineLoad> load = engine->Load();
  EXPECT_EQ(load->running + load->waiting, 0);
  EXPECT_EQ(load->kv_blocks_free, load->kv_blocks_total);
  EXPECT_EQ(load->kv_usage, 0);
}

TEST(EngineModelTest, CalibratedPerformanceModelFitsTheRunner) {
  const model::Model* model = testing::TinyModel(model::Architecture::kLlama, model::WeightScheme::kF32);
  ASSERT_NE(model, nullptr);
  SchedulerConfig config = Config();
  config.num_kv_blocks = 128;
  auto executor = ModelExecutor::Create(*model, config, ModelExecutorOptions{.num_threads = 2});
  ASSERT_TRUE(executor.ok());
  const StatusOr<CalibrationResult> result = CalibratePerformanceModel(
      (*executor)->runner(), (*executor)->kv_storage().shape(), base::RealClock::Get(), 3);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_GE(result->points.size(), 10u);
  EXPECT_TRUE(result->model.Validate().ok());
  // Prefill grows with the prompt and batching decode is cheaper than decoding alone.
  EXPECT_GT(result->model.per_prefill_token_us + result->model.per_kv_token_us, 0);
  double one = 0, many = 0;
  for (const CalibrationPoint& p : result->points) {
    if (p.prefill_tokens == 0 && p.decode_sequences == 1 && one == 0) one = p.micros;
    if (p.prefill_tokens == 0 && p.decode_sequences == 16 && many == 0) many = p.micros;
  }
  ASSERT_GT(one, 0);
  ASSERT_GT(many, 0);
  EXPECT_LT(many, 16 * one);
  // The fit is close to what was measured (timings on a shared machine are noisy).
  EXPECT_LT(result->max_relative_error, 1.0) << result->model.ToString();
}

}  // namespace
}  // namespace tokenfab::engine
