// Engine tests on the synthetic executor (the real scheduler, KV block manager and prefix cache;
// a performance model instead of weights) with a manual clock: the owner drives steps with
// RunOnce(), nothing sleeps, and modelled times come out exactly. The threaded tests run the
// engine's own thread with a zero-cost performance model.
#include "tokenfab/engine/engine.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/metrics.h"
#include "tokenfab/base/random.h"
#include "tokenfab/engine/block_hash.h"
#include "tokenfab/engine/synthetic_executor.h"
#include "tokenizer/real_tokenizers_for_test.h"

namespace tokenfab::engine {
namespace {

using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

constexpr int32_t kBlock = 16;

SchedulerConfig SmallConfig(int32_t blocks = 64, int32_t max_running = 8) {
  SchedulerConfig c;
  c.block_size = kBlock;
  c.num_kv_blocks = blocks;
  c.max_context_tokens = std::min(512, blocks * kBlock);
  c.max_running_sequences = max_running;
  c.max_batch_tokens = 256;
  c.max_prefill_chunk_tokens = 256;
  c.admission_reserve_blocks = 0;
  return c;
}

PerformanceModel Perf() {
  PerformanceModel p;
  p.base_us = 1000;
  p.per_prefill_token_us = 10;
  p.per_decode_sequence_us = 100;
  p.per_kv_token_us = 0.5;
  return p;
}

// Everything gathered from one finished stream.
struct Stream {
  std::vector<Token> tokens;
  std::string text;
  std::vector<EngineEvent> events;
  EngineEvent finish;
};

Stream Collect(RequestHandle& handle) {
  Stream s;
  s.events = handle.Wait();
  for (const EngineEvent& e : s.events) {
    s.text += e.text;
    if (e.finished()) {
      s.finish = e;
    } else {
      s.tokens.push_back(e.token);
    }
  }
  return s;
}

class SyntheticEngineTest : public ::testing::Test {
 protected:
  void Build(EngineOptions options, double stop_probability = 0) {
    tokenizer_ = tokenizer::RealTokenizer("llama3");
    ASSERT_NE(tokenizer_, nullptr);
    SyntheticExecutorOptions exec;
    exec.performance = perf_;
    exec.stop_probability = stop_probability;
    auto executor = std::make_unique<SyntheticExecutor>(exec, *tokenizer_, pacer_);
    synthetic_ = executor.get();
    options.check_invariants = true;
    auto engine = Engine::Create(options, std::move(executor), *tokenizer_, clock_, &registry_);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
  }
  void Build() {
    EngineOptions options;
    options.scheduler = SmallConfig();
    Build(options);
  }

  EngineRequest ScheduledRequest(int32_t prompt_len, int32_t max_tokens, uint64_t seed = 7) {
    EngineRequest r;
    for (int32_t i = 0; i < prompt_len; ++i) r.prompt.push_back(1000 + i);
    r.sampling.temperature = 0;
    r.sampling.max_tokens = max_tokens;
    r.sampling.seed = seed;
    return r;
  }

  RequestHandle MustSubmit(EngineRequest r) {
    StatusOr<RequestHandle> h = engine_->Submit(std::move(r));
    EXPECT_TRUE(h.ok()) << h.status();
    return h.ok() ? *std::move(h) : RequestHandle();
  }

  base::ManualClock clock_{1'000'000};
  ManualStepPacer pacer_{clock_};
  PerformanceModel perf_ = Perf();
  base::MetricsRegistry registry_;
  const tokenizer::Tokenizer* tokenizer_ = nullptr;
  SyntheticExecutor* synthetic_ = nullptr;
  std::unique_ptr<Engine> engine_;
};

TEST_F(SyntheticEngineTest, StreamsSeededTokensWithTextUsageAndModelledTimes) {
  Build();
  const int32_t prompt = 40;
  const int32_t gen = 6;
  RequestHandle h = MustSubmit(ScheduledRequest(prompt, gen, 99));
  engine_->RunUntilIdle();
  const Stream s = Collect(h);
  std::vector<Token> expected;
  for (int32_t i = 0; i < gen; ++i) expected.push_back(synthetic_->TokenAt(99, prompt + i));
  EXPECT_THAT(s.tokens, ElementsAreArray(expected));
  EXPECT_EQ(s.text, tokenizer_->Decode(expected));
  EXPECT_EQ(s.finish.finish_reason, FinishReason::kLength);
  EXPECT_TRUE(s.finish.status.ok());
  EXPECT_EQ(s.finish.usage.prompt_tokens, prompt);
  EXPECT_EQ(s.finish.usage.cached_prompt_tokens, 0);
  EXPECT_EQ(s.finish.usage.completion_tokens, gen);
  // TTFT: one prefill step of the whole prompt; TPOT: decode steps at growing positions.
  const double ttft = perf_.StepMicros(prompt, 0, int64_t{prompt} * (prompt + 1) / 2);
  EXPECT_EQ(s.finish.timings.queue_us, 0);
  EXPECT_EQ(s.finish.timings.ttft_us, std::llround(ttft));
  int64_t decode_total = 0;
  for (int32_t i = 1; i < gen; ++i) {
    decode_total += std::llround(perf_.StepMicros(0, 1, prompt + i));  // attends prompt + i
  }
  EXPECT_EQ(s.finish.timings.tpot_us, decode_total / (gen - 1));
  EXPECT_EQ(s.finish.timings.total_us, std::llround(ttft) + decode_total);
  // Every token event comes before the one finished event, which is last.
  ASSERT_EQ(s.events.size(), static_cast<size_t>(gen + 1));
  for (int32_t i = 0; i < gen; ++i) EXPECT_FALSE(s.events[i].finished());
  EXPECT_TRUE(s.events.back().finished());
  EXPECT_TRUE(h.done());
  // Blocks are back: nothing referenced, the prompt's full blocks cached.
  EXPECT_EQ(engine_->scheduler_for_testing().kv().num_used_blocks(), 0);
  EXPECT_EQ(engine_->metrics()->generation_tokens().Value(), gen);
  EXPECT_EQ(engine_->metrics()->time_to_first_token().Count(), 1u);
}

TEST_F(SyntheticEngineTest, LogprobsOnlyWhenAsked) {
  Build();
  EngineRequest with = ScheduledRequest(8, 3, 1);
  with.sampling.logprobs = true;
  with.sampling.top_logprobs = 4;
  RequestHandle a = MustSubmit(std::move(with));
  RequestHandle b = MustSubmit(ScheduledRequest(8, 3, 1));
  engine_->RunUntilIdle();
  const Stream sa = Collect(a);
  const Stream sb = Collect(b);
  for (const EngineEvent& e : sa.events) {
    if (e.finished()) continue;
    EXPECT_TRUE(e.has_logprobs);
    ASSERT_EQ(e.top_logprobs.size(), 4u);
    EXPECT_EQ(e.top_logprobs[0].token, e.token);
    EXPECT_FLOAT_EQ(e.logprob, e.top_logprobs[0].logprob);
    for (size_t k = 1; k < e.top_logprobs.size(); ++k) {
      EXPECT_LT(e.top_logprobs[k].logprob, e.top_logprobs[k - 1].logprob);
    }
  }
  for (const EngineEvent& e : sb.events) {
    EXPECT_FALSE(e.has_logprobs);
    EXPECT_TRUE(e.top_logprobs.empty());
  }
  EXPECT_EQ(sa.tokens, sb.tokens);  // same seed, same position: same tokens
}

TEST_F(SyntheticEngineTest, StopTokenEndsWithoutItsEventButCountsIt) {
  Build();
  EngineRequest r = ScheduledRequest(10, 50, 5);
  const Token stop = synthetic_->TokenAt(5, 10 + 3);  // the 4th generated token
  // The stop token must not occur earlier in the stream for the count below.
  for (int i = 0; i < 3; ++i) ASSERT_NE(synthetic_->TokenAt(5, 10 + i), stop);
  r.sampling.stop_token_ids = {stop};
  RequestHandle h = MustSubmit(std::move(r));
  engine_->RunUntilIdle();
  const Stream s = Collect(h);
  EXPECT_EQ(s.tokens.size(), 3u);
  EXPECT_EQ(s.finish.finish_reason, FinishReason::kStop);
  EXPECT_EQ(s.finish.usage.completion_tokens, 4);
  EXPECT_EQ(s.text, tokenizer_->Decode(s.tokens));
}

TEST_F(SyntheticEngineTest, StopStringIsNeverEmittedEvenAcrossTokens) {
  Build();
  const uint64_t seed = 11;
  std::vector<Token> ahead;
  for (int i = 0; i < 8; ++i) ahead.push_back(synthetic_->TokenAt(seed, 20 + i));
  const std::string full = tokenizer_->Decode(ahead);
  // A stop string that spans the end of token 3 and the beginning of token 4.
  const std::string upto3 = tokenizer_->Decode(std::span<const Token>(ahead).first(3));
  const std::string upto4 = tokenizer_->Decode(std::span<const Token>(ahead).first(4));
  ASSERT_GT(upto3.size(), 2u);
  ASSERT_GT(upto4.size(), upto3.size());
  const std::string stop = full.substr(upto3.size() - 2, 2 + 1);
  const size_t first = full.find(stop);
  EngineRequest r = ScheduledRequest(20, 8, seed);
  r.sampling.stop_strings = {stop};
  RequestHandle h = MustSubmit(std::move(r));
  engine_->RunUntilIdle();
  const Stream s = Collect(h);
  EXPECT_EQ(s.finish.finish_reason, FinishReason::kStop);
  EXPECT_EQ(s.text, full.substr(0, first));
  EXPECT_THAT(s.text, ::testing::Not(HasSubstr(stop)));
  // It stopped on the token that completed the stop string.
  EXPECT_LE(s.finish.usage.completion_tokens, 4);
}

TEST_F(SyntheticEngineTest, RejectsBadRequests) {
  Build();
  EngineRequest empty = ScheduledRequest(0, 4);
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->Submit(std::move(empty)).status()));
  EngineRequest bad_id = ScheduledRequest(4, 4);
  bad_id.prompt[2] = tokenizer_->vocab_size();
  const Status s1 = engine_->Submit(std::move(bad_id)).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s1));
  EXPECT_THAT(std::string(s1.message()), HasSubstr("outside the vocabulary"));
  EngineRequest too_long = ScheduledRequest(512, 4);
  const Status s2 = engine_->Submit(std::move(too_long)).status();
  EXPECT_TRUE(absl::IsInvalidArgument(s2));
  EXPECT_THAT(std::string(s2.message()), HasSubstr("context length"));
  EngineRequest bad_sampling = ScheduledRequest(4, 4);
  bad_sampling.sampling.top_p = 2;
  EXPECT_TRUE(absl::IsInvalidArgument(engine_->Submit(std::move(bad_sampling)).status()));
  // The longest prompt that leaves one token still runs, and gets exactly one.
  RequestHandle h = MustSubmit(ScheduledRequest(511, 4));
  engine_->RunUntilIdle();
  const Stream s = Collect(h);
  EXPECT_EQ(s.finish.finish_reason, FinishReason::kLength);
  EXPECT_EQ(s.finish.usage.completion_tokens, 1);
}

TEST_F(SyntheticEngineTest, FullQueueRejectsWithRetryEstimate) {
  EngineOptions options;
  options.scheduler = SmallConfig();
  options.max_waiting_requests = 2;
  Build(options);
  RequestHandle a = MustSubmit(ScheduledRequest(8, 4));
  RequestHandle b = MustSubmit(ScheduledRequest(8, 4));
  const StatusOr<RequestHandle> c = engine_->Submit(ScheduledRequest(8, 4));
  ASSERT_TRUE(absl::IsResourceExhausted(c.status())) << c.status();
  const std::optional<int64_t> retry = RetryAfterMillis(c.status());
  ASSERT_TRUE(retry.has_value());
  EXPECT_GE(*retry, 1);
  EXPECT_FALSE(RetryAfterMillis(absl::InvalidArgumentError("x")).has_value());
  // Once they are admitted (running, not waiting), there is room again.
  EXPECT_TRUE(engine_->RunOnce());
  EXPECT_TRUE(engine_->Submit(ScheduledRequest(8, 4)).ok());
}

TEST_F(SyntheticEngineTest, RetryEstimateGrowsWithTheQueue) {
  EngineOptions options;
  options.scheduler = SmallConfig(64, 1);  // one running at a time
  options.max_waiting_requests = 3;
  Build(options);
  std::vector<RequestHandle> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(MustSubmit(ScheduledRequest(64, 20)));
  engine_->RunOnce();  // one runs, two wait; the prefill rate is measured
  handles.push_back(MustSubmit(ScheduledRequest(64, 20)));
  engine_->RunOnce();  // three wait; the decode rate is measured
  const std::shared_ptr<const EngineLoad> load = engine_->Load();
  EXPECT_EQ(load->running, 1);
  EXPECT_EQ(load->waiting, 3);
  EXPECT_GT(load->prefill_tokens_per_s, 0);
  EXPECT_GT(load->queue_delay_ms, 0);
  // The queue as tokens: three waiting prompts of 64 are ahead; the running one decodes over
  // its prompt and first generated token.
  EXPECT_EQ(load->prefill_tokens_queued, 3 * 64);
  EXPECT_EQ(load->decode_sequences, 1);
  EXPECT_EQ(load->kv_tokens, 65);
  const StatusOr<RequestHandle> rejected = engine_->Submit(ScheduledRequest(8, 4));
  ASSERT_TRUE(absl::IsResourceExhausted(rejected.status()));
  EXPECT_GE(*RetryAfterMillis(rejected.status()), static_cast<int64_t>(load->queue_delay_ms));
}

TEST_F(SyntheticEngineTest, CancelFreesBlocksBeforeTheNextStep) {
  Build();
  RequestHandle a = MustSubmit(ScheduledRequest(100, 50));
  RequestHandle b = MustSubmit(ScheduledRequest(30, 50));
  engine_->RunOnce();
  engine_->RunOnce();
  const KvBlockManager& kv = engine_->scheduler_for_testing().kv();
  const int32_t used_both = kv.num_used_blocks();
  const int32_t a_blocks = kv.BlocksFor(102);
  EXPECT_EQ(used_both, a_blocks + kv.BlocksFor(32));
  a.Cancel();
  const uint64_t step = engine_->scheduler_for_testing().step();
  engine_->RunOnce();
  // The step after the cancellation ran with b alone: a's blocks were freed before it.
  EXPECT_EQ(engine_->scheduler_for_testing().step(), step + 1);
  EXPECT_EQ(kv.num_used_blocks(), kv.BlocksFor(32));  // grown for the token it computed
  const Stream s = Collect(a);
  EXPECT_EQ(s.finish.finish_reason, FinishReason::kCancelled);
  EXPECT_TRUE(s.finish.status.ok());
  EXPECT_EQ(s.finish.usage.completion_tokens, 2);
  EXPECT_EQ(s.tokens.size(), 2u);
  a.Cancel();  // idempotent
  // Dropping an unfinished handle cancels too.
  { RequestHandle dropped = std::move(b); }
  EXPECT_FALSE(engine_->RunOnce());
  EXPECT_EQ(kv.num_used_blocks(), 0);
  EXPECT_EQ(engine_->scheduler_for_testing().num_live(), 0);
  EXPECT_EQ(engine_->metrics()->finished(FinishReason::kCancelled).Value(), 2);
}

TEST_F(SyntheticEngineTest, PrefixCacheHitIsReportedAsCachedTokens) {
  EngineOptions options;
  options.scheduler = SmallConfig();
  options.load_hashes_refresh_us = 0;  // hashes in every snapshot
  Build(options);
  RequestHandle first = MustSubmit(ScheduledRequest(70, 2));
  engine_->RunUntilIdle();
  EXPECT_EQ(Collect(first).finish.usage.cached_prompt_tokens, 0);
  RequestHandle again = MustSubmit(ScheduledRequest(70, 2));
  engine_->RunUntilIdle();
  const Stream s = Collect(again);
  EXPECT_EQ(s.finish.usage.cached_prompt_tokens, 64);  // 4 full blocks of 16
  // The TTFT of the hit is the prefill of the 6 uncached tokens.
  const double ttft = perf_.StepMicros(6, 0, 6 * 64 + 6 * 7 / 2);
  EXPECT_EQ(s.finish.timings.ttft_us, std::llround(ttft));
  EngineRequest other_tenant = ScheduledRequest(70, 2);
  other_tenant.tenant_salt = TenantSalt("other");
  RequestHandle isolated = MustSubmit(std::move(other_tenant));
  engine_->RunUntilIdle();
  EXPECT_EQ(Collect(isolated).finish.usage.cached_prompt_tokens, 0);

  const std::shared_ptr<const EngineLoad> load = engine_->Load();
  EXPECT_TRUE(load->prefix_caching);
  EXPECT_NEAR(load->prefix_hit_rate, 64.0 / (3 * 70), 1e-9);
  std::vector<Token> prompt;
  for (int i = 0; i < 70; ++i) prompt.push_back(1000 + i);
  const std::vector<BlockHash> shared = HashFullBlocks(prompt, kBlock, 0);
  const std::vector<BlockHash> salted = HashFullBlocks(prompt, kBlock, TenantSalt("other"));
  ASSERT_EQ(load->block_hashes.size(), 8u);
  // The other tenant's blocks were inserted last: most recent first.
  EXPECT_THAT(std::vector<BlockHash>(load->block_hashes.begin(), load->block_hashes.begin() + 4),
              ::testing::UnorderedElementsAreArray(salted));
  EXPECT_THAT(std::vector<BlockHash>(load->block_hashes.begin() + 4, load->block_hashes.end()),
              ::testing::UnorderedElementsAreArray(shared));
}

TEST_F(SyntheticEngineTest, ShutdownEndsLiveRequestsAsUnavailable) {
  Build();
  RequestHandle running = MustSubmit(ScheduledRequest(20, 100));
  engine_->RunOnce();
  RequestHandle queued = MustSubmit(ScheduledRequest(20, 100));
  engine_->Shutdown();
  for (RequestHandle* h : {&running, &queued}) {
    const Stream s = Collect(*h);
    EXPECT_EQ(s.finish.finish_reason, FinishReason::kCancelled);
    EXPECT_TRUE(absl::IsUnavailable(s.finish.status)) << s.finish.status;
  }
  EXPECT_TRUE(absl::IsUnavailable(engine_->Submit(ScheduledRequest(4, 4)).status()));
  EXPECT_EQ(engine_->scheduler_for_testing().kv().num_used_blocks(), 0);
}

TEST_F(SyntheticEngineTest, NotifierRunsOncePerDrainAndForTheEnd) {
  Build();
  std::atomic<int> calls{0};
  EngineRequest r = ScheduledRequest(8, 5);
  r.on_events = [&calls] { calls.fetch_add(1); };
  RequestHandle h = MustSubmit(std::move(r));
  engine_->RunOnce();  // first token
  engine_->RunOnce();  // second token: the queue was not drained, no new call
  EXPECT_EQ(calls.load(), 1);
  std::vector<EngineEvent> events;
  EXPECT_EQ(h.Poll(&events), 2u);
  engine_->RunOnce();
  EXPECT_EQ(calls.load(), 2);
  engine_->RunUntilIdle();
  h.Poll(&events);
  EXPECT_EQ(events.size(), 6u);
  EXPECT_TRUE(events.back().finished());
  EXPECT_TRUE(h.done());
}

TEST_F(SyntheticEngineTest, PreemptedRequestResumesWithTheSameTokens) {
  EngineOptions options;
  options.scheduler = SmallConfig(/*blocks=*/8, /*max_running=*/4);  // 128 tokens of KV
  options.scheduler.max_context_tokens = 128;
  Build(options);
  std::vector<RequestHandle> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(MustSubmit(ScheduledRequest(30, 60, 100 + i)));
  engine_->RunUntilIdle();
  int preempted = 0;
  for (int i = 0; i < 3; ++i) {
    const Stream s = Collect(handles[i]);
    EXPECT_EQ(s.finish.finish_reason, FinishReason::kLength);
    ASSERT_EQ(s.tokens.size(), 60u);
    for (int k = 0; k < 60; ++k) EXPECT_EQ(s.tokens[k], synthetic_->TokenAt(100 + i, 30 + k));
    preempted += s.finish.timings.preemptions;
  }
  EXPECT_GT(preempted, 0);
  EXPECT_GT(engine_->metrics()->preemptions().Value(), 0);
}

// An executor that replays a fixed list of tokens (for every request, from its first generated
// token on) and costs no time: it drives the engine's detokenization with tokens a random model
// would rarely pick, such as the single bytes of multi-byte characters.
class ScriptedExecutor final : public Executor {
 public:
  ScriptedExecutor(std::vector<Token> script, int32_t vocab)
      : script_(std::move(script)), vocab_(vocab) {}
  std::string_view name() const override { return "scripted"; }
  int32_t vocab_size() const override { return vocab_; }
  Status Execute(const ScheduledBatch& batch, std::span<const ExecutorSequence> sequences,
                 std::span<ExecutorResult> results) override {
    for (size_t i = 0; i < batch.sequences.size(); ++i) {
      if (!batch.sequences[i].logits) continue;
      const size_t n = static_cast<size_t>(sequences[i].request->num_generated_tokens());
      results[i].sample.token = script_[n % script_.size()];
    }
    return absl::OkStatus();
  }

 private:
  const std::vector<Token> script_;
  const int32_t vocab_;
};

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const int len = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xe  ? 3
                    : (c >> 3) == 0x1e ? 4
                                       : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += len;
  }
  return true;
}

TEST(ScriptedEngineTest, TextPiecesEndAtUtf8BoundariesAndStopStringsSpanThem) {
  const tokenizer::Tokenizer* tokenizer = tokenizer::RealTokenizer("llama3");
  ASSERT_NE(tokenizer, nullptr);
  // Every byte of the text as its own byte token: characters arrive split over 2-4 tokens.
  const std::string text = "Grüße 日本語 🙂 fin.";
  std::vector<Token> script;
  for (char c : text) {
    const std::vector<Token> ids = tokenizer->Encode(std::string(1, c), false, false);
    ASSERT_EQ(ids.size(), 1u);
    script.push_back(ids[0]);
  }
  base::ManualClock clock;
  EngineOptions options;
  options.scheduler = SmallConfig();
  options.check_invariants = true;
  auto engine =
      Engine::Create(options, std::make_unique<ScriptedExecutor>(script, tokenizer->vocab_size()),
                     *tokenizer, clock);
  ASSERT_TRUE(engine.ok());
  EngineRequest r;
  r.prompt = {1, 2, 3};
  r.sampling.max_tokens = static_cast<int32_t>(script.size());
  r.ignore_eos = true;
  StatusOr<RequestHandle> h = (*engine)->Submit(r);
  // The same with a stop string made of the end of one character and a whole other one.
  EngineRequest stopped = r;
  stopped.sampling.stop_strings = {"語 🙂"};
  StatusOr<RequestHandle> hs = (*engine)->Submit(stopped);
  ASSERT_TRUE(h.ok() && hs.ok());
  (*engine)->RunUntilIdle();
  const Stream s = Collect(*h);
  EXPECT_EQ(s.text, text);
  int empty_pieces = 0;
  for (const EngineEvent& e : s.events) {
    EXPECT_TRUE(IsValidUtf8(e.text)) << "piece splits a character";
    if (!e.finished() && e.text.empty()) ++empty_pieces;
  }
  EXPECT_GE(empty_pieces, 8);  // the leading bytes of ü, ß, 日, 本, 語 and 🙂 were held
  const Stream st = Collect(*hs);
  EXPECT_EQ(st.text, "Grüße 日本");
  EXPECT_EQ(st.finish.finish_reason, FinishReason::kStop);
  for (const EngineEvent& e : st.events) EXPECT_TRUE(IsValidUtf8(e.text));
}

}  // namespace
}  // namespace tokenfab::engine
