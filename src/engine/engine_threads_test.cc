// The engine with its own thread: many client threads submitting, reading and cancelling at
// once on a synthetic executor with zero-cost steps (a real clock and pacer, since the engine
// thread and the clients run concurrently); and the idle engine waking on submission.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/random.h"
#include "tokenfab/engine/engine.h"
#include "tokenfab/engine/synthetic_executor.h"
#include "tokenizer/real_tokenizers_for_test.h"

namespace tokenfab::engine {
namespace {

SchedulerConfig SmallConfig(int32_t blocks, int32_t max_running) {
  SchedulerConfig c;
  c.block_size = 16;
  c.num_kv_blocks = blocks;
  c.max_context_tokens = std::min(512, blocks * 16);
  c.max_running_sequences = max_running;
  c.max_batch_tokens = 256;
  c.max_prefill_chunk_tokens = 256;
  c.admission_reserve_blocks = 0;
  return c;
}

// The engine's own thread: many client threads submit, read and cancel at once; at the end every
// stream has ended exactly once and the KV accounting is exact.
TEST(SyntheticEngineThreadsTest, ConcurrentSubmittersAndCancellersLeaveNoBlocks) {
  const tokenizer::Tokenizer* tokenizer = tokenizer::RealTokenizer("llama3");
  ASSERT_NE(tokenizer, nullptr);
  base::RealClock& clock = base::RealClock::Get();
  RealStepPacer pacer(clock);
  SyntheticExecutorOptions exec;  // zero-cost steps
  exec.stop_probability = 0.02;
  EngineOptions options;
  options.scheduler = SmallConfig(/*blocks=*/40, /*max_running=*/16);
  options.scheduler.max_context_tokens = 256;
  options.max_waiting_requests = 64;
  options.check_invariants = true;
  base::MetricsRegistry registry;
  auto engine =
      Engine::Create(options, std::make_unique<SyntheticExecutor>(exec, *tokenizer, pacer),
                     *tokenizer, clock, &registry);
  ASSERT_TRUE(engine.ok()) << engine.status();
  (*engine)->Start();

  constexpr int kThreads = 6;
  constexpr int kPerThread = 60;
  std::atomic<int> finished{0}, rejected{0}, cancelled{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      base::Random rng(t + 1);
      for (int i = 0; i < kPerThread; ++i) {
        EngineRequest r;
        const int len = 1 + static_cast<int>(rng.Below(120));
        for (int k = 0; k < len; ++k) r.prompt.push_back(static_cast<Token>(500 + rng.Below(50)));
        r.sampling.max_tokens = 1 + static_cast<int>(rng.Below(60));
        r.tenant_salt = rng.Below(3);
        r.priority = static_cast<int32_t>(rng.Below(3));
        StatusOr<RequestHandle> h = (*engine)->Submit(std::move(r));
        if (!h.ok()) {
          EXPECT_TRUE(absl::IsResourceExhausted(h.status())) << h.status();
          rejected.fetch_add(1);
          continue;
        }
        const uint64_t action = rng.Below(3);
        if (action == 0) {
          h->Cancel();
        } else if (action == 1) {
          h->Next();  // the first event (a token or the end), then drop: cancels if unfinished
          continue;
        }
        const std::vector<EngineEvent> events = h->Wait();
        ASSERT_FALSE(events.empty());
        EXPECT_TRUE(events.back().finished());
        for (size_t k = 0; k + 1 < events.size(); ++k) EXPECT_FALSE(events[k].finished());
        if (events.back().finish_reason == FinishReason::kCancelled) cancelled.fetch_add(1);
        finished.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  (*engine)->Shutdown();
  const Scheduler& scheduler = (*engine)->scheduler_for_testing();
  scheduler.CheckInvariants();
  EXPECT_EQ(scheduler.num_live(), 0);
  EXPECT_EQ(scheduler.kv().num_used_blocks(), 0);
  EXPECT_EQ(scheduler.kv().num_free_blocks() + scheduler.kv().num_evictable_blocks(), 40);
  EXPECT_GT(finished.load(), 0);
  EXPECT_GT(cancelled.load(), 0);
  const EngineMetrics* m = (*engine)->metrics();
  const double ended =
      m->finished(FinishReason::kStop).Value() + m->finished(FinishReason::kLength).Value() +
      m->finished(FinishReason::kCancelled).Value() + m->finished(FinishReason::kError).Value();
  EXPECT_EQ(ended, kThreads * kPerThread - rejected.load());
  EXPECT_EQ(m->finished(FinishReason::kError).Value(), 0);
}

TEST(SyntheticEngineThreadsTest, IdleEngineWakesOnSubmit) {
  const tokenizer::Tokenizer* tokenizer = tokenizer::RealTokenizer("llama3");
  ASSERT_NE(tokenizer, nullptr);
  base::RealClock& clock = base::RealClock::Get();
  RealStepPacer pacer(clock);
  EngineOptions options;
  options.scheduler = SmallConfig(64, 8);
  auto engine = Engine::Create(
      options, std::make_unique<SyntheticExecutor>(SyntheticExecutorOptions{}, *tokenizer, pacer),
      *tokenizer, clock);
  ASSERT_TRUE(engine.ok());
  (*engine)->Start();
  for (int round = 0; round < 3; ++round) {
    EngineRequest r;
    r.prompt = {1, 2, 3};
    r.sampling.max_tokens = 3;
    StatusOr<RequestHandle> h = (*engine)->Submit(std::move(r));
    ASSERT_TRUE(h.ok());
    const std::vector<EngineEvent> events = h->Wait();
    EXPECT_EQ(events.back().usage.completion_tokens, 3);
  }
}

}  // namespace
}  // namespace tokenfab::engine
